using Gear.Protocol.V1;
using static Gear.Client.Tests.LoopbackServer;

namespace Gear.Client.Tests;

[TestClass]
public sealed class BatchStreamTests
{
    [TestMethod]
    public async Task BatchesHaveTypedShapedViewsMaskAndMetadata()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(Spec("t", Selector.Uniform, Column("obs", DType.F32, 2, 3), Column("done", DType.Bool)));
        await using (var writer = await client.OpenWriterAsync("t"))
        {
            var trajectory = await writer.BeginTrajectoryAsync();
            for (var step = 0; step < 3; step++)
                await trajectory.Append<float>("obs", Enumerable.Range(0, 6).Select(i => step * 100f + i).ToArray()).Append("done", step == 2).CommitStepsAsync();
            await trajectory.EndAsync(1);
        }

        await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t")
        {
            BatchSize = 4, WindowLength = 5, Placement = WindowPlacement.Start, BatchesInFlight = 3, MaxBatches = 3, Seed = 9,
        });
        var sequences = new List<long>();
        await foreach (var batch in stream)
        {
            using (batch)
            {
                sequences.Add(batch.Sequence);
                Assert.AreEqual(4, batch.BatchSize);
                Assert.AreEqual(5, batch.WindowLength);
                CollectionAssert.AreEqual(new[] { 4, 5, 2, 3 }, batch.Shape("obs").ToArray());
                CollectionAssert.AreEqual(new[] { 4, 5 }, batch.Shape("done").ToArray());
                var obs = batch.Column<float>("obs");
                Assert.AreEqual(4 * 5 * 6, obs.Length);
                var done = batch.Column<bool>("done");
                for (var w = 0; w < 4; w++)
                {
                    // Three real steps, two of tail padding.
                    CollectionAssert.AreEqual(new byte[] { 1, 1, 1, 0, 0 }, batch.Mask.Slice(w * 5, 5).ToArray());
                    Assert.AreEqual(201f, obs[(w * 5 + 2) * 6 + 1]);
                    Assert.IsTrue(done[w * 5 + 2]);
                    Assert.AreEqual(0f, obs[(w * 5 + 4) * 6]);
                    Assert.AreEqual(1.0, batch.Probabilities[w], 1e-12);
                    Assert.AreEqual(1.0, batch.ImportanceWeights[w], 1e-12);
                    Assert.AreEqual(0, batch.StartSteps[w]);
                    Assert.AreEqual(0, batch.Shards[w]);
                }
                Assert.AreEqual(1, batch.ItemCount);
                var memory = batch.ColumnMemory<float>("obs");
                Assert.AreEqual(201f, memory.Span[(2 * 6) + 1]);
                Assert.ThrowsException<ArgumentException>(() => batch.Column<int>("obs"));
            }
            Assert.ThrowsException<ObjectDisposedException>(() => batch.Keys.Length);
        }
        CollectionAssert.AreEqual(new long[] { 0, 1, 2 }, sequences, "MaxBatches = 3 ends the stream after three");
    }

    [TestMethod]
    public async Task PriorityUpdatesFromTheStreamChangeWhatIsSampled()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Prioritized));
        var keys = await TableFill.WriteAsync(client, "t", [1, 1, 1, 1]);

        await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 32, Seed = 5, BatchesInFlight = 1 });
        await using var batches = stream.GetAsyncEnumerator();
        Assert.IsTrue(await batches.MoveNextAsync());
        using (var first = batches.Current)
        {
            var values = first.Column<int>("value");
            var priorities = new double[first.BatchSize];
            for (var i = 0; i < priorities.Length; i++)
                priorities[i] = values[i] == 2 ? 1 : 0;
            var result = await stream.UpdatePrioritiesAsync(first, priorities);
            Assert.AreEqual(first.BatchSize, result.Applied);
        }
        Assert.AreEqual(4, keys.Length);

        // Batches gathered ahead before the update (the server's in-flight batch, the one it is writing, and
        // what the HTTP/2 window holds: small batches, so possibly thousands) may still show the old
        // priorities; once those are read, only value 2.
        var onlyTwo = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (onlyTwo < 3 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            Assert.IsTrue(await batches.MoveNextAsync());
            using var batch = batches.Current;
            onlyTwo = batch.Column<int>("value").ToArray().All(v => v == 2) ? onlyTwo + 1 : 0;
        }
        Assert.AreEqual(3, onlyTwo, "after the update only the item with priority 1 can be drawn");
        using var sampled = await client.SampleAsync(new SampleOptions("t") { BatchSize = 64 });
        Assert.IsTrue(sampled.Column<int>("value").ToArray().All(v => v == 2));
    }

    [TestMethod]
    public async Task ViewsAllocateNothing()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        await TableFill.WriteAsync(client, "t", [1, 1]);
        using var batch = await client.SampleAsync(new SampleOptions("t") { BatchSize = 16 });
        var column = batch.Layout["value"];
        long sum = 0;
        void Read()
        {
            sum += batch.Column<int>(column)[0] + batch.Column<int>("value")[1] + batch.Mask[0] + (long)batch.Keys[0] + batch.Shape("value")[0];
            sum += (long)batch.ImportanceWeights[0] + (long)batch.Probabilities[0] + batch.Shards[0] + batch.StartSteps[0] + (long)batch.TrajectoryKeys[0];
        }
        Read();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            Read();
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.AreNotEqual(0, sum);
    }

    [TestMethod]
    public async Task OptionsAreValidated()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        await Assert.ThrowsExceptionAsync<ArgumentOutOfRangeException>(() => client.OpenBatchStreamAsync(new SampleOptions("t") { BatchesInFlight = 65 }));
        await Assert.ThrowsExceptionAsync<ArgumentOutOfRangeException>(() => client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 0 }));
        var missing = await Assert.ThrowsExceptionAsync<Gear.Protocol.Grpc.RpcException>(() => client.OpenBatchStreamAsync(new SampleOptions("nope")));
        Assert.AreEqual(Gear.Protocol.Grpc.StatusCode.NotFound, missing.StatusCode);
    }

    [TestMethod]
    public async Task ServerRefusalEndsTheStreamWithItsStatus()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(Spec("s", Selector.Uniform, ItemGranularity.Step, Column("value", DType.I32)));
        await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("s") { Placement = WindowPlacement.Uniform });
        var e = await Assert.ThrowsExceptionAsync<Gear.Protocol.Grpc.RpcException>(async () => await stream.NextAsync());
        Assert.AreEqual(Gear.Protocol.Grpc.StatusCode.InvalidArgument, e.StatusCode);
        StringAssert.Contains(e.Status.Detail, "placement");
    }

    [TestMethod]
    public async Task StreamedBatchesReuseTheirColumnBuffers()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        var spec = Spec("wide", Selector.Uniform, Column("x", DType.F32, 256));
        spec.HostCapacityBytes = 16 << 20;
        await client.CreateTableAsync(spec);
        await using (var writer = await client.OpenWriterAsync("wide"))
        {
            var step = new float[256];
            for (var t = 0; t < 8; t++)
            {
                var trajectory = await writer.BeginTrajectoryAsync();
                for (var i = 0; i < 64; i++)
                    await trajectory.Append<float>("x", step).CommitStepsAsync();
                _ = trajectory.EndAsync(1);
            }
            await writer.FlushAsync();
        }
        const int segments = 5, batchesPerSegment = 10;
        const long columnBytesPerBatch = 16 * 32 * 1024;
        await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("wide")
        {
            BatchSize = 16, WindowLength = 32, MaxBatches = (segments + 1) * batchesPerSegment,
        });

        // Allocation per batch over segments of 10 batches after a warm-up segment (pools primed). The count is
        // process-wide, so the median segment is taken: a burst of the runtime's own work in one segment (a
        // loaded machine) does not decide the result.
        var perSegment = new List<long>();
        long segmentStart = 0;
        var received = 0;
        await foreach (var batch in stream)
        {
            using (batch)
                Assert.AreEqual(columnBytesPerBatch, batch.ColumnBytes("x").Length);
            if (++received % batchesPerSegment != 0)
                continue;
            var now = GC.GetTotalAllocatedBytes(precise: true);
            if (received > batchesPerSegment)
                perSegment.Add((now - segmentStart) / batchesPerSegment);
            segmentStart = now;
        }
        perSegment.Sort();
        var perBatch = perSegment[perSegment.Count / 2];

        // The protobuf parser's path allocated a new array of every column per batch (512 KiB here); the
        // pooled path allocates only small bookkeeping, client and in-process server together.
        Assert.IsTrue(perBatch < columnBytesPerBatch / 4, $"{perBatch} bytes allocated per batch of {columnBytesPerBatch} column bytes");
    }
}
