using System.Buffers;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Service;
using Google.Protobuf;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Service;

/// <summary>InsertRequestDecoder reads what the protobuf parser reads, from contiguous and from segmented bytes.</summary>
[TestClass]
public sealed class InsertRequestDecoderTests
{
    [TestMethod]
    public void AnAppendCarriesTheFieldsAndColumnBytesSent()
    {
        var request = KnownSteps.Append("t", 7, 3);
        foreach (var payload in new[] { Contiguous(request), SegmentedBytes.Of(request.ToByteArray(), 5) })
        {
            var command = InsertRequestDecoder.Decode(payload);
            AssertSameAppend(request.Append, command);
        }
    }

    [TestMethod]
    public void AnAppendsColumnsAreThePayloadsBytesNotCopies()
    {
        var request = KnownSteps.Append("t", 7, 3);
        var bytes = request.ToByteArray();
        var command = InsertRequestDecoder.Decode(SegmentedBytes.Of(bytes, 16));

        // The table copies the columns into its pages straight from where the request arrived.
        var last = command.Columns[^1];
        var at = bytes.AsSpan().LastIndexOf(last.ToArray());
        bytes[at] ^= 0xFF;
        Assert.AreEqual(bytes[at], last.FirstSpan[0]);
    }

    [TestMethod]
    public void RepeatedAppendFieldsMergeAsProtobufMergesThem()
    {
        var first = KnownSteps.Append("t", 7, 3);
        var second = new InsertRequest { Append = new AppendSteps { Trajectory = 9, Columns = { ByteString.CopyFromUtf8("xyz") } } };
        var bytes = first.ToByteArray().Concat(second.ToByteArray()).ToArray();

        var command = InsertRequestDecoder.Decode(new ReadOnlySequence<byte>(bytes));

        AssertSameAppend(InsertRequest.Parser.ParseFrom(bytes).Append, command);
        Assert.AreEqual(3, command.Columns.Length);
    }

    [TestMethod]
    public void AnAppendBesideUnknownFieldsIsStillAnAppend()
    {
        var request = KnownSteps.Append("t", 7, 2);
        var bytes = request.ToByteArray().Concat(new byte[] { (15 << 3) | 0, 42 }).ToArray(); // field 15, varint 42

        var command = InsertRequestDecoder.Decode(new ReadOnlySequence<byte>(bytes));

        AssertSameAppend(request.Append, command);
    }

    [TestMethod]
    public void OtherCommandsComeAsTheirMessages()
    {
        var end = new InsertRequest { End = new EndTrajectory { Trajectory = 3, Priority = 2 } };
        var command = InsertRequestDecoder.Decode(Contiguous(end));
        Assert.AreEqual(end, command.Other);
        var empty = InsertRequestDecoder.Decode(ReadOnlySequence<byte>.Empty);
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
                _ = InsertRequestDecoder.Decode(new ReadOnlySequence<byte>(bytes));
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
}
