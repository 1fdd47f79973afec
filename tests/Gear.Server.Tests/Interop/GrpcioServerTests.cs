using System.Text;
using Gear.Protocol.Grpc;
using Gear.Server.Tests.Grpc;
using Gear.Server.Tests.Protos;

namespace Gear.Server.Tests.Interop;

/// <summary>
/// Gear's client against python3-grpcio as the server: server-streaming and duplex calls go over the client's own
/// HTTP/2 connection (HPACK with grpc core's Huffman codes and dynamic table, grpc core's framing and flow control).
/// </summary>
[TestClass]
public sealed class GrpcioServerTests
{
    [TestMethod]
    public async Task AServerStreamFromGrpcioArrivesWithItsMetadataAndTrailers()
    {
        using var server = await GrpcioEchoServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        // Replies of 3 MB: many frames and several windows each.
        using var call = channel.ServerStreaming(EchoService.ServerStream, new EchoRequest { Text = "gear-test", Repeat = 4, ResponseSize = 3_000_000 });

        var received = 0;
        while (await call.ResponseStream.MoveNext())
        {
            EchoResponse response = call.ResponseStream.Current;
            Assert.AreEqual(received, response.Index);
            Assert.AreEqual(3_000_000, response.Payload.Length);
            byte[] payload = response.Payload.ToByteArray();
            for (var i = 0; i < payload.Length; i += 4099)
                Assert.AreEqual((byte)((i + received) % 251), payload[i], $"byte {i} of reply {received}");
            received++;
        }

        Assert.AreEqual(4, received);
        Metadata headers = await call.ResponseHeadersAsync;
        Assert.AreEqual("gear-test", headers.GetValue("x-echo-initial"));
        CollectionAssert.AreEqual(Encoding.ASCII.GetBytes("gear-test"), headers.GetValueBytes("x-echo-bin"));
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.AreEqual("done", call.GetTrailers().GetValue("x-echo-trailer"));
    }

    [TestMethod]
    public async Task AStatusThatGrpcioSendsAfterTheMessagesReachesTheCaller()
    {
        using var server = await GrpcioEchoServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);

        for (var call = 0; call < 3; call++)
        {
            using var stream = channel.ServerStreaming(EchoService.ServerStream,
                new EchoRequest { Text = $"precondition {call} failed", Repeat = 2, ResponseSize = 10, FailCode = (int)StatusCode.FailedPrecondition });
            var received = 0;
            var error = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
            {
                while (await stream.ResponseStream.MoveNext()) received++;
            });

            Assert.AreEqual(2, received);
            Assert.AreEqual(StatusCode.FailedPrecondition, error.StatusCode);
            Assert.AreEqual($"precondition {call} failed", error.Status.Detail);
            Assert.AreEqual("done", error.Trailers.GetValue("x-echo-trailer"));
        }
    }

    [TestMethod]
    public async Task DuplexRequestsLargerThanGrpciosWindowsArriveIntactWhileItAnswers()
    {
        using var server = await GrpcioEchoServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = channel.DuplexStreaming(EchoService.Duplex);
        // 1 MB requests: grpc core starts with 64 KiB windows and 16 KiB frames, so each takes many frames and updates.
        byte[][] payloads = [.. Enumerable.Range(0, 6).Select(r => Enumerable.Range(0, 1_000_000 + r).Select(i => (byte)(i * 31 + r)).ToArray())];

        Task writes = Task.Run(async () =>
        {
            foreach (byte[] payload in payloads)
                await call.RequestStream.WriteAsync(new EchoRequest { Payload = Google.Protobuf.ByteString.CopyFrom(payload) });
            await call.RequestStream.CompleteAsync();
        });
        var answers = new List<EchoResponse>();
        while (await call.ResponseStream.MoveNext()) answers.Add(call.ResponseStream.Current);
        await writes;

        Assert.AreEqual(payloads.Length, answers.Count);
        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.AreEqual(i, answers[i].Index);
            Assert.AreEqual(payloads[i].Length, answers[i].Count);
            Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payloads[i])), answers[i].Text, $"request {i}'s bytes");
        }
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }
}
