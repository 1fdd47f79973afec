using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Gear.Server.Bench;

/// <summary>
/// The reference for the network workloads: a plain TCP stream on loopback between this process and a
/// <c>gear bench raw-peer</c> process, with large buffers, measured in the same run. Bytes go from here to the
/// peer (as an actor's inserts go to the server) or from the peer to here (as a learner's samples come).
/// </summary>
internal sealed partial class RawSocketReference : IDisposable
{
    private readonly ChildProcess _peer;
    private readonly IPEndPoint _endPoint;

    private RawSocketReference(ChildProcess peer, IPEndPoint endPoint)
    {
        _peer = peer;
        _endPoint = endPoint;
    }

    /// <summary>Starts the peer process and reads the port it printed.</summary>
    public static async Task<RawSocketReference> StartAsync(CancellationToken cancellation)
    {
        var peer = ChildProcess.Start("bench", "raw-peer", "--port", "0");
        try
        {
            var line = await peer.WaitForLineAsync(ListeningLine(), TimeSpan.FromSeconds(30), cancellation);
            return new RawSocketReference(peer, IPEndPoint.Parse(line.Groups[1].Value));
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Bytes per second sent to the peer (<paramref name="send"/>) or received from it.</summary>
    public async Task<double> MeasureAsync(bool send, TimeSpan warmup, TimeSpan duration, CancellationToken cancellation)
    {
        using var socket = RawSocket.Create();
        await socket.ConnectAsync(_endPoint, cancellation);
        await socket.SendAsync(new[] { send ? RawSocket.PeerReads : RawSocket.PeerWrites }, cancellation);
        var counter = new ByteCounter();
        var stop = false;
        var mover = Task.Factory.StartNew(() =>
        {
            var buffer = GC.AllocateUninitializedArray<byte>(RawSocket.ChunkBytes, pinned: true);
            try
            {
                while (!Volatile.Read(ref stop))
                    counter.Add(send ? socket.Send(buffer) : socket.Receive(buffer));
            }
            catch (SocketException) when (Volatile.Read(ref stop))
            {
                // Closed under the loop at the end.
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            return await counter.MeasureAsync(warmup, duration, cancellation);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            socket.Close(); // unblocks a Send or Receive in progress
            await mover.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Ends the peer (closing its stdin would too; this does not wait for it).</summary>
    public void Dispose() => _peer.Dispose();

    [GeneratedRegex(@"raw-peer listening on (\S+)")]
    private static partial Regex ListeningLine();
}
