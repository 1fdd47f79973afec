using System.Buffers;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Protocol.Tests.Wire;

/// <summary>An append given in pieces is byte for byte what protobuf writes, with its large columns not copied.</summary>
[TestClass]
public sealed class InsertRequestGatheredTests
{
    private static readonly byte[] Large = Enumerable.Range(0, InsertRequest.SmallColumnBytes + 3).Select(i => (byte)(i * 7)).ToArray();

    public static IEnumerable<object[]> Appends()
    {
        yield return [Append(trajectory: 7, table: "replay", steps: 3, Large, [1, 2, 3], Large)];
        yield return [Append(trajectory: 0, table: "", steps: 0, Large)];                 // defaults left out
        yield return [Append(trajectory: ulong.MaxValue, table: "tåble ✓", steps: uint.MaxValue, [], Large, [])]; // long varints, UTF-8, empty columns
        yield return [Append(trajectory: 1, table: "t", steps: 1, [9], [8, 7])];          // only small columns
        yield return [Append(trajectory: 1, table: "t", steps: 1)];                       // no columns
    }

    [TestMethod]
    [DynamicData(nameof(Appends))]
    public void ThePiecesAreTheProtobufBytes(InsertRequest request)
    {
        var pieces = Gather(request);

        CollectionAssert.AreEqual(request.ToByteArray(), pieces.SelectMany(p => p.ToArray()).ToArray());
    }

    [TestMethod]
    public void LargeColumnsArePiecesOfTheirOwnAndSmallOnesAreCopied()
    {
        var request = Append(trajectory: 7, table: "replay", steps: 3, Large, [1, 2, 3], Large);

        var pieces = Gather(request);

        var columns = request.Append.Columns;
        Assert.AreEqual(2, pieces.Count(p => p.Span == columns[0].Span), "each large column is given as the actor's buffer");
        Assert.IsFalse(pieces.Any(p => p.Span == columns[1].Span), "the small column is copied into an encoded run");
        Assert.AreEqual(4, pieces.Count, "encoded run, column, encoded run (with the small column), column");
    }

    [TestMethod]
    public void WhatThePiecesDoNotCoverIsSerializedWhole()
    {
        var withUnknownField = InsertRequest.Parser.ParseFrom(
            Append(1, "t", 1, Large).ToByteArray().Concat(new byte[] { (15 << 3) | 0, 42 }).ToArray());
        var unknownInAppend = InsertRequest.Parser.ParseFrom(
            new InsertRequest { Append = AppendSteps.Parser.ParseFrom(Append(1, "t", 1, Large).Append.ToByteArray().Concat(new byte[] { (9 << 3) | 0, 1 }).ToArray()) }.ToByteArray());
        foreach (var request in new[] { withUnknownField, unknownInAppend, new InsertRequest { End = new EndTrajectory { Trajectory = 1 } }, new InsertRequest() })
        {
            Assert.IsFalse(request.TryGather(new byte[request.MaxEncodedBytes], new ReadOnlyMemory<byte>[request.MaxPieces], out var count), request.ToString());
            Assert.AreEqual(0, count);
        }
    }

    [TestMethod]
    public async Task AGatheredMessageIsFramedAsAnyOther()
    {
        var gathered = Append(trajectory: 7, table: "replay", steps: 3, Large, [1, 2, 3], Large);
        var unknown = InsertRequest.Parser.ParseFrom(gathered.ToByteArray().Concat(new byte[] { (15 << 3) | 0, 42 }).ToArray());
        foreach (var request in new[] { gathered, unknown })
        {
            var expected = new ArrayBufferWriter<byte>();
            LengthPrefixedMessage.Write(expected, request, int.MaxValue, "request");
            using var stream = new MemoryStream();

            await LengthPrefixedMessage.WriteAsync(stream, request, int.MaxValue, "request", default);

            CollectionAssert.AreEqual(expected.WrittenSpan.ToArray(), stream.ToArray());
        }
    }

    [TestMethod]
    public async Task AGatheredMessageOverTheLimitIsRefusedBeforeAnythingIsWritten()
    {
        var request = Append(trajectory: 7, table: "replay", steps: 3, Large);
        using var stream = new MemoryStream();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
            await LengthPrefixedMessage.WriteAsync(stream, request, Large.Length, "request", default));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.AreEqual(0, stream.Length);
    }

    private static List<ReadOnlyMemory<byte>> Gather(InsertRequest request)
    {
        var pieces = new ReadOnlyMemory<byte>[request.MaxPieces];
        Assert.IsTrue(request.TryGather(new byte[request.MaxEncodedBytes], pieces, out var count));
        return pieces[..count].ToList();
    }

    private static InsertRequest Append(ulong trajectory, string table, uint steps, params byte[][] columns)
    {
        var append = new AppendSteps { Trajectory = trajectory, Table = table, StepCount = steps };
        foreach (var column in columns)
            append.Columns.Add(UnsafeByteOperations.UnsafeWrap(column));
        return new InsertRequest { Append = append };
    }
}
