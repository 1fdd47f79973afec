using System.Net;
using System.Net.Sockets;

namespace Gear.Server.Bench;

/// <summary>
/// The far end of the raw socket reference (<c>gear bench raw-peer</c>), in its own process as the server is:
/// per connection it reads and discards everything, or writes without end, as the first byte asks. It runs
/// until its stdin closes, which happens when the bench that started it ends, however it ends.
/// </summary>
public static class RawPeer
{
    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0: a free port), prints the port, serves.</summary>
    public static async Task<int> RunAsync(int port, TextWriter output, CancellationToken cancellation)
    {
        using var listener = RawSocket.Create();
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen();
        await output.WriteLineAsync($"raw-peer listening on {listener.LocalEndPoint}");
        await output.FlushAsync(cancellation);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        // Reading stdin to the end returns when the parent closes it or dies.
        _ = Task.Run(async () =>
        {
            await Console.In.ReadToEndAsync(stop.Token);
            await stop.CancelAsync();
        }, CancellationToken.None);
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(stop.Token);
                _ = Task.Factory.StartNew(() => Serve(connection), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    // Blocking calls on a thread of their own: the cheapest way to move bytes, which is what a reference is for.
    private static void Serve(Socket connection)
    {
        using (connection)
        {
            connection.NoDelay = true;
            connection.SendBufferSize = RawSocket.SocketBufferBytes;
            connection.ReceiveBufferSize = RawSocket.SocketBufferBytes;
            var buffer = GC.AllocateUninitializedArray<byte>(RawSocket.ChunkBytes, pinned: true);
            try
            {
                if (connection.Receive(buffer, 0, 1, SocketFlags.None) != 1)
                    return;
                if (buffer[0] == RawSocket.PeerReads)
                {
                    while (connection.Receive(buffer) > 0)
                    {
                    }
                }
                else if (buffer[0] == RawSocket.PeerWrites)
                {
                    while (true)
                        connection.Send(buffer);
                }
            }
            catch (SocketException)
            {
                // The bench closed the connection: the measurement is over.
            }
        }
    }
}
