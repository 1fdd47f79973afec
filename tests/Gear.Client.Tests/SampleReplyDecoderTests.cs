using System.Buffers;
using Gear.Protocol.V1;
using Google.Protobuf;
using static Gear.Client.Tests.LoopbackServer;

namespace Gear.Client.Tests;

[TestClass]
public sealed class SampleReplyDecoderTests
{
    private static readonly TableLayout Layout = new(Spec("t", Selector.Uniform, Column("obs", DType.F32, 2), Column("done", DType.Bool)));

    private static SampleResponse Reply() => new()
    {
        BatchSize = 2,
        WindowLength = 3,
        Columns = { ByteString.CopyFrom(Enumerable.Range(0, 2 * 3 * 8).Select(i => (byte)i).ToArray()), ByteString.CopyFrom(1, 0, 1, 1, 0, 0) },
        Mask = ByteString.CopyFrom(1, 1, 0, 1, 1, 1),
        Keys = { ulong.MaxValue, 7 },
        TrajectoryKeys = { 3, 1UL << 40 },
        StartSteps = { -2, 5 },
        Probabilities = { 0.25, 0.75 },
        ImportanceWeights = { 1.0, 0.5 },
        Sequence = 42,
        ItemCount = 9,
        SelectionMass = 12.5,
    };

    [TestMethod]
    public void DecodesEveryFieldTheProtobufParserDoes()
    {
        var bytes = Reply().ToByteArray();
        // An unknown field (number 99, varint) as a newer server might send: skipped.
        var withUnknown = bytes.Concat(new byte[] { 0x98, 0x06, 0x2A }).ToArray();

        using var batch = new SampleBatchAssembler(Layout).FromPooledReply(Decode(withUnknown), shard: 3);

        AssertMatches(Reply(), batch);
    }

    [TestMethod]
    public void AcceptsUnpackedRepeatedFields()
    {
        var reply = Reply();
        var packed = reply.Clone();
        packed.Keys.Clear();
        packed.Probabilities.Clear();
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        packed.WriteTo(output);
        // The same keys and probabilities, one tag per element (the wire format allows both encodings).
        foreach (var key in reply.Keys)
        {
            output.WriteTag(5, WireFormat.WireType.Varint);
            output.WriteUInt64(key);
        }
        foreach (var probability in reply.Probabilities)
        {
            output.WriteTag(8, WireFormat.WireType.Fixed64);
            output.WriteDouble(probability);
        }
        output.Flush();

        using var batch = new SampleBatchAssembler(Layout).FromPooledReply(Decode(stream.ToArray()), shard: 3);

        AssertMatches(reply, batch);
    }

    [TestMethod]
    public void MalformedRepliesAreInvalidData()
    {
        var bytes = Reply().ToByteArray();
        Assert.ThrowsException<InvalidDataException>(() => Decode(bytes[..^3]));
        Assert.ThrowsException<InvalidDataException>(() => Decode(new byte[] { 0x0B }), "wire type 3 (groups) is never used");

        var shortKeys = Reply();
        shortKeys.Keys.RemoveAt(1);
        Assert.ThrowsException<InvalidDataException>(() =>
            new SampleBatchAssembler(Layout).FromPooledReply(Decode(shortKeys.ToByteArray()), 0));
        var shortColumn = Reply();
        shortColumn.Columns[1] = ByteString.CopyFrom(1, 0);
        var error = Assert.ThrowsException<InvalidDataException>(() =>
            new SampleBatchAssembler(Layout).FromPooledReply(Decode(shortColumn.ToByteArray()), 0));
        StringAssert.Contains(error.Message, "'done'");
    }

    /// <summary>Decodes <paramref name="bytes"/> as the transport hands them over: in a pooled array that the reply takes.</summary>
    private static PooledSampleReply Decode(byte[] bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes.Length));
        bytes.CopyTo(buffer, 0);
        return SampleReplyDecoder.Decode(buffer, bytes.Length);
    }

    private static void AssertMatches(SampleResponse expected, SampleBatch batch)
    {
        Assert.AreEqual(expected.BatchSize, batch.BatchSize);
        Assert.AreEqual(expected.WindowLength, batch.WindowLength);
        CollectionAssert.AreEqual(expected.Columns[0].ToByteArray(), batch.ColumnBytes("obs").ToArray());
        CollectionAssert.AreEqual(expected.Columns[1].ToByteArray(), batch.ColumnBytes("done").ToArray());
        CollectionAssert.AreEqual(expected.Mask.ToByteArray(), batch.Mask.ToArray());
        CollectionAssert.AreEqual(expected.Keys.ToArray(), batch.Keys.ToArray());
        CollectionAssert.AreEqual(expected.TrajectoryKeys.ToArray(), batch.TrajectoryKeys.ToArray());
        CollectionAssert.AreEqual(expected.StartSteps.ToArray(), batch.StartSteps.ToArray());
        CollectionAssert.AreEqual(expected.Probabilities.ToArray(), batch.Probabilities.ToArray());
        CollectionAssert.AreEqual(expected.ImportanceWeights.ToArray(), batch.ImportanceWeights.ToArray());
        CollectionAssert.AreEqual(new[] { 3, 3 }, batch.Shards.ToArray());
        Assert.AreEqual((long)expected.Sequence, batch.Sequence);
        Assert.AreEqual(expected.ItemCount, batch.ItemCount);
        Assert.AreEqual(expected.SelectionMass, batch.SelectionMass);
    }
}
