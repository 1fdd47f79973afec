using System.Buffers;
using System.IO.Pipelines;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Google.Protobuf;
using Gear.Tests.Shared;

namespace Gear.Protocol.Tests.Grpc;

[TestClass]
public sealed class LengthPrefixedMessageTests
{
    [TestMethod]
    public void WriteProducesFlagZeroAndBigEndianLength()
    {
        var message = new DropTableRequest { Table = "replay" };
        var output = new ArrayBufferWriter<byte>();

        int size = LengthPrefixedMessage.Write(output, message, 1000, "request");

        byte[] bytes = output.WrittenSpan.ToArray();
        Assert.AreEqual(message.CalculateSize(), size);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 0, (byte)size }, bytes[..5]);
        CollectionAssert.AreEqual(message.ToByteArray(), bytes[5..]);
    }

    [TestMethod]
    public void WriteRefusesAMessageOverTheLimitBeforeWritingAnything()
    {
        var message = new DropTableRequest { Table = new string('x', 100) };
        var output = new ArrayBufferWriter<byte>();

        var error = Assert.ThrowsException<RpcException>(() => LengthPrefixedMessage.Write(output, message, 50, "response"));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "102");
        StringAssert.Contains(error.Status.Detail, "50");
        Assert.AreEqual(0, output.WrittenCount);
    }

    [TestMethod]
    public void ReadsMessagesSplitAcrossSegmentsAtEveryOffset()
    {
        byte[] stream = Frames(new DropTableRequest { Table = "a" }, new DropTableRequest { Table = "bcdef" }, new DropTableRequest());
        for (int split = 1; split < stream.Length; split++)
        {
            ReadOnlySequence<byte> buffer = SegmentedBytes.Split(stream, split);
            var names = new List<string>();
            while (LengthPrefixedMessage.TryRead(ref buffer, 100, "request", out ReadOnlySequence<byte> payload))
            {
                names.Add(DropTableRequest.Parser.ParseFrom(payload).Table);
            }
            CollectionAssert.AreEqual(new[] { "a", "bcdef", "" }, names, $"split at {split}");
            Assert.AreEqual(0, buffer.Length);
        }
    }

    [TestMethod]
    public void PartialHeaderOrBodyAsksForMore()
    {
        byte[] frame = Frames(new DropTableRequest { Table = "abc" });
        for (int length = 0; length < frame.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, length);
            Assert.IsFalse(LengthPrefixedMessage.TryRead(ref buffer, 100, "request", out _), $"length {length}");
            Assert.AreEqual(length, buffer.Length, "nothing consumed");
        }
    }

    [TestMethod]
    public void OversizeLengthIsRefusedFromThePrefixAlone()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 1, 0, 1 }); // 65537 bytes announced, none present

        var error = Assert.ThrowsException<RpcException>(() => LengthPrefixedMessage.TryRead(ref buffer, 65536, "request", out _));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "65537");
        StringAssert.Contains(error.Status.Detail, "65536");
    }

    [TestMethod]
    public void LengthAboveInt32IsOversizeNotNegative()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF });

        var error = Assert.ThrowsException<RpcException>(() => LengthPrefixedMessage.TryRead(ref buffer, int.MaxValue, "request", out _));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [TestMethod]
    public void CompressedFlagIsInternalAndOtherFlagsToo()
    {
        foreach (byte flag in new byte[] { 1, 2, 0x80 })
        {
            var buffer = new ReadOnlySequence<byte>(new byte[] { flag, 0, 0, 0, 0 });
            var error = Assert.ThrowsException<RpcException>(() => LengthPrefixedMessage.TryRead(ref buffer, 100, "request", out _));
            Assert.AreEqual(StatusCode.Internal, error.StatusCode, $"flag {flag}");
        }
    }

    [TestMethod]
    public async Task PipeReaderReadsMessagesThenNullAtTheCleanEnd()
    {
        var pipe = new Pipe();
        byte[] bytes = Frames(new DropTableRequest { Table = "one" }, new DropTableRequest { Table = "two" });
        await pipe.Writer.WriteAsync(bytes);
        await pipe.Writer.CompleteAsync();
        var reader = new PipeMessageReader<DropTableRequest>(pipe.Reader, MessageDecoders.From(DropTableRequest.Parser, "request"), 100, "request");

        Assert.AreEqual("one", (await reader.ReadAsync(default))!.Table);
        Assert.AreEqual("two", (await reader.ReadAsync(default))!.Table);
        Assert.IsNull(await reader.ReadAsync(default));
    }

    [TestMethod]
    public async Task PipeReaderWaitsForTheRestOfAMessage()
    {
        var pipe = new Pipe();
        byte[] bytes = Frames(new DropTableRequest { Table = "slow" });
        var reader = new PipeMessageReader<DropTableRequest>(pipe.Reader, MessageDecoders.From(DropTableRequest.Parser, "request"), 100, "request");
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, 7));

        ValueTask<DropTableRequest?> reading = reader.ReadAsync(default);
        await Task.Delay(20);
        Assert.IsFalse(reading.IsCompleted);
        await pipe.Writer.WriteAsync(bytes.AsMemory(7));

        Assert.AreEqual("slow", (await reading)!.Table);
    }

    [TestMethod]
    public async Task PipeReaderReportsTruncationAsInternal()
    {
        var pipe = new Pipe();
        byte[] bytes = Frames(new DropTableRequest { Table = "cut" });
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, bytes.Length - 1));
        await pipe.Writer.CompleteAsync();
        var reader = new PipeMessageReader<DropTableRequest>(pipe.Reader, MessageDecoders.From(DropTableRequest.Parser, "request"), 100, "response");

        var error = await Assert.ThrowsExceptionAsync<RpcException>(async () => await reader.ReadAsync(default));

        Assert.AreEqual(StatusCode.Internal, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "response");
    }

    [TestMethod]
    public async Task PipeReaderReportsGarbageProtobufAsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0, 0, 2, 0x0A, 0x05 }); // string of 5 bytes, 0 present
        await pipe.Writer.CompleteAsync();
        var reader = new PipeMessageReader<DropTableRequest>(pipe.Reader, MessageDecoders.From(DropTableRequest.Parser, "request"), 100, "request");

        var error = await Assert.ThrowsExceptionAsync<RpcException>(async () => await reader.ReadAsync(default));

        Assert.AreEqual(StatusCode.Internal, error.StatusCode);
        StringAssert.StartsWith(error.Status.Detail, "Failed to parse request message");
    }

    private static byte[] Frames(params IMessage[] messages)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (IMessage message in messages) LengthPrefixedMessage.Write(output, message, int.MaxValue, "request");
        return output.WrittenSpan.ToArray();
    }
}
