using System.Net;
using System.Net.Sockets;
using Gear.Protocol.DataPlane;

namespace Gear.Protocol.Tests.DataPlane;

/// <summary>
/// A payload received under a raised low-water mark: every byte, whatever pieces it arrives in, and never a
/// wait for bytes that do not come (a payload's tail shorter than the mark, a small read after it).
/// </summary>
[TestClass]
public sealed class PayloadReceiverTests
{
    [TestMethod]
    public async Task APayloadSentInPiecesArrivesWholeAndASmallReadAfterItCompletes()
    {
        var (learner, server) = await ConnectAsync();
        using (learner)
        using (server)
        {
            var payload = new byte[3 * PayloadReceiver.WakeBytes + 12345];
            new Random(1).NextBytes(payload);
            var trailer = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
            var sending = Task.Run(async () =>
            {
                // Pieces with pauses, the last shorter than the mark, then a small frame and nothing more.
                for (var at = 0; at < payload.Length; at += 700_000)
                {
                    await server.SendAsync(payload.AsMemory(at, Math.Min(700_000, payload.Length - at)));
                    await Task.Delay(20);
                }
                await Task.Delay(200); // so that the small read has to wait for it
                await server.SendAsync(trailer);
            });

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var received = new byte[payload.Length];
            await PayloadReceiver.ReceiveExactlyAsync(learner, received, timeout.Token);
            CollectionAssert.AreEqual(payload, received);

            var small = new byte[trailer.Length];
            await learner.ReceiveAsync(small, SocketFlags.None, timeout.Token);
            CollectionAssert.AreEqual(trailer, small, "the mark is back to one byte after the payload");
            await sending;
        }
    }

    [TestMethod]
    public async Task APeerThatClosesMidPayloadIsAnEndOfStream()
    {
        var (learner, server) = await ConnectAsync();
        using (learner)
        {
            await server.SendAsync(new byte[1000]);
            server.Dispose();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Assert.ThrowsExceptionAsync<EndOfStreamException>(() => PayloadReceiver.ReceiveExactlyAsync(learner, new byte[5000], timeout.Token).AsTask());
        }
    }

    private static async Task<(Socket Learner, Socket Server)> ConnectAsync()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var learner = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await learner.ConnectAsync(listener.LocalEndPoint!);
        return (learner, await listener.AcceptAsync());
    }
}
