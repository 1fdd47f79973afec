using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Gear.Protocol.DataPlane;

/// <summary>
/// How a learner receives a batch frame's payload (megabytes) straight into its final buffer. An asynchronous
/// read of a large buffer otherwise wakes for every few segments the sender's kernel hands over, and on a busy
/// learner each wake is a thread switch; on Linux the socket's receive low-water mark (SO_RCVLOWAT) is raised
/// for the read, so the socket reports readable only once <see cref="WakeBytes"/> (or the rest of the
/// payload) have arrived. On loopback that took W4 batches from 3.0 to 4.2 GB/s (bench/RESULTS.md).
/// </summary>
public static class PayloadReceiver
{
    /// <summary>Bytes a read waits for before it wakes (or what is left of the payload, when less).</summary>
    public const int WakeBytes = 1 << 20;

    private static readonly bool RaisesLowWater = OperatingSystem.IsLinux();

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="socket"/>.</summary>
    /// <exception cref="EndOfStreamException">The peer closed the connection first.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // once per batch: pooled, so a batch allocates nothing
    public static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var at = 0; at < buffer.Length;)
        {
            if (RaisesLowWater)
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveLowWater, Math.Min(buffer.Length - at, WakeBytes));
            var received = await socket.ReceiveAsync(buffer[at..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
                throw new EndOfStreamException($"the connection closed {buffer.Length - at} bytes before the end of a frame's payload");
            at += received;
        }
        // Back to one byte for the small reads that follow: a header read under a higher mark would wait for
        // bytes that may never come (the end frame is the last thing sent).
        if (RaisesLowWater)
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveLowWater, 1);
    }
}
