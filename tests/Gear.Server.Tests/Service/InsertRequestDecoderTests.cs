using System.Buffers;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Service;
using Google.Protobuf;

namespace Gear.Server.Tests.Service;

/// <summary>InsertRequestDecoder reads what the protobuf parser reads, from contiguous and from segmented bytes.</summary>
[TestClass]
public sealed class InsertRequestDecoderTests
{
    [TestMethod]
    public void AnAppendCarriesTheFieldsAndColumnBytesSent()
    {
        var request = KnownSteps.Append("t", 7, 3);
        foreach (var payload in new[] { Contiguous(request), Segmented(request, 5) })
        {
            using var command = InsertRequestDecoder.Decode(payload);
            AssertSameAppend(request.Append, command);
        }
    }

    [TestMethod]
    public void RepeatedAppendFieldsMergeAsProtobufMergesThem()
    {
        var first = KnownSteps.Append("t", 7, 3);
        var second = new InsertRequest { Append = new AppendSteps { Trajectory = 9, Columns = { ByteString.CopyFromUtf8("xyz") } } };
        var bytes = first.ToByteArray().Concat(second.ToByteArray()).ToArray();

        using var command = InsertRequestDecoder.Decode(new ReadOnlySequence<byte>(bytes));

        AssertSameAppend(InsertRequest.Parser.ParseFrom(bytes).Append, command);
        Assert.AreEqual(3, command.Columns.Length);
    }

    [TestMethod]
    public void AnAppendBesideUnknownFieldsIsStillAnAppend()
    {
        var request = KnownSteps.Append("t", 7, 2);
        var bytes = request.ToByteArray().Concat(new byte[] { (15 << 3) | 0, 42 }).ToArray(); // field 15, varint 42

        using var command = InsertRequestDecoder.Decode(new ReadOnlySequence<byte>(bytes));

        AssertSameAppend(request.Append, command);
    }

    [TestMethod]
    public void OtherCommandsComeAsTheirMessages()
    {
        var end = new InsertRequest { End = new EndTrajectory { Trajectory = 3, Priority = 2 } };
        using var command = InsertRequestDecoder.Decode(Contiguous(end));
        Assert.AreEqual(end, command.Other);
        using var empty = InsertRequestDecoder.Decode(ReadOnlySequence<byte>.Empty);
        Assert.AreEqual(InsertRequest.CommandOneofCase.None, empty.Other!.CommandCase);
    }

    [TestMethod]
    public void MalformedAppendsAreParseFailures()
    {
        var good = KnownSteps.Append("t", 7, 2).ToByteArray();
        var truncated = good[..^1];
        var badVarint = new byte[] { 0x0A, 11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
        var badUtf8 = new InsertRequest { Append = new AppendSteps { Table = "ab" } }.ToByteArray();
        badUtf8[^1] = 0xFF;
        foreach (var bytes in new[] { truncated, badVarint, badUtf8 })
        {
            // Either way the call fails INTERNAL: the request reader turns InvalidDataException into the parse failure
            // that the protobuf parser (which takes what does not look like an append) raises itself.
            try
            {
                InsertRequestDecoder.Decode(new ReadOnlySequence<byte>(bytes)).Dispose();
                Assert.Fail($"decoded {Convert.ToHexString(bytes)}");
            }
            catch (Exception e) when (e is InvalidDataException or RpcException { StatusCode: StatusCode.Internal })
            {
            }
        }
    }

    private static void AssertSameAppend(AppendSteps expected, InsertCommand command)
    {
        Assert.IsNull(command.Other);
        Assert.AreEqual(expected.Trajectory, command.Trajectory);
        Assert.AreEqual(expected.Table, command.Table);
        Assert.AreEqual(expected.StepCount, command.StepCount);
        Assert.AreEqual(expected.Columns.Count, command.Columns.Length);
        for (var c = 0; c < expected.Columns.Count; c++)
            CollectionAssert.AreEqual(expected.Columns[c].ToByteArray(), command.Columns[c].ToArray(), $"column {c}");
    }

    private static ReadOnlySequence<byte> Contiguous(IMessage message) => new(message.ToByteArray());

    /// <summary>The message's bytes in segments of <paramref name="size"/> bytes, as a request pipe holds them.</summary>
    private static ReadOnlySequence<byte> Segmented(IMessage message, int size)
    {
        var bytes = message.ToByteArray();
        Segment? first = null, last = null;
        for (var at = 0; at < bytes.Length; at += size)
        {
            var next = new Segment(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            if (last is null) first = next;
            else last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public new Segment? Next
        {
            get => (Segment?)base.Next;
            set => base.Next = value;
        }
    }
}
