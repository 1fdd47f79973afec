using Gear.Protocol.V1;
using static Gear.Client.Tests.LoopbackServer;

namespace Gear.Client.Tests;

[TestClass]
public sealed class TrajectoryWriterTests
{
    private static TableSpec ObsActionSpec(string name = "t", Selector sampler = Selector.Uniform) =>
        Spec(name, sampler, Column("obs", DType.F32, 3), Column("action", DType.I32));

    [TestMethod]
    public async Task StepsRoundTripAndEndIsAcknowledgedWithTheKey()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(ObsActionSpec());
        await using var writer = await client.OpenWriterAsync("t");

        var trajectory = await writer.BeginTrajectoryAsync();
        for (var step = 0; step < 5; step++)
        {
            float[] obs = [step * 10, step * 10 + 1, step * 10 + 2];
            await trajectory.Append("obs", obs).Append("action", step).CommitStepsAsync();
        }
        var committed = await trajectory.EndAsync(priority: 2.5);
        Assert.AreEqual(trajectory.Id, committed.TrajectoryId);
        Assert.AreEqual(5u, committed.Steps);
        Assert.AreEqual(0, committed.Shard);
        Assert.AreEqual(1, writer.CommittedCount);

        using var batch = await client.SampleAsync(new SampleOptions("t") { BatchSize = 1, WindowLength = 5, Placement = WindowPlacement.Start });
        Assert.AreEqual(committed.Key, batch.Keys[0]);
        CollectionAssert.AreEqual(Enumerable.Range(0, 5).SelectMany(s => new float[] { s * 10, s * 10 + 1, s * 10 + 2 }).ToArray(), batch.Column<float>("obs").ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, batch.Column<int>("action").ToArray());
    }

    [TestMethod]
    public async Task SeveralStepsAppendAtOnceFromOneSpan()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(ObsActionSpec());
        await using var writer = await client.OpenWriterAsync("t");
        var trajectory = await writer.BeginTrajectoryAsync();
        trajectory.Append<float>("obs", Enumerable.Range(0, 12).Select(i => (float)i).ToArray()).Append<int>("action", [7, 8, 9, 10]);
        await trajectory.CommitStepsAsync();
        Assert.AreEqual(4, trajectory.CommittedSteps);
        var committed = await trajectory.EndAsync(1);
        Assert.AreEqual(4u, committed.Steps);
        Assert.AreEqual(4, (await client.GetTableAsync("t")).StoredSteps);
    }

    [TestMethod]
    public async Task AppendChecksNameTheColumnAndTheProblem()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(ObsActionSpec());
        await using var writer = await client.OpenWriterAsync("t");
        var trajectory = await writer.BeginTrajectoryAsync();

        var wrongType = Assert.ThrowsException<ArgumentException>(() => trajectory.Append<double>("obs", [1.0, 2.0, 3.0]));
        StringAssert.Contains(wrongType.Message, "'obs' (f32[3])");
        StringAssert.Contains(wrongType.Message, "Double");

        var wrongCount = Assert.ThrowsException<ArgumentException>(() => trajectory.Append<float>("obs", [1f, 2f]));
        StringAssert.Contains(wrongCount.Message, "'obs'");
        StringAssert.Contains(wrongCount.Message, "3 values per step");

        var unknown = Assert.ThrowsException<ArgumentException>(() => trajectory.Append("reward", 1f));
        StringAssert.Contains(unknown.Message, "no column 'reward'");

        trajectory.Append<float>("obs", [1f, 2f, 3f]);
        var missing = await Assert.ThrowsExceptionAsync<InvalidOperationException>(async () => await trajectory.CommitStepsAsync());
        StringAssert.Contains(missing.Message, "'action' (i32[])");

        trajectory.Append("action", 1).Append("action", 2);
        var uneven = await Assert.ThrowsExceptionAsync<InvalidOperationException>(async () => await trajectory.CommitStepsAsync());
        StringAssert.Contains(uneven.Message, "different numbers of steps");

        var uncommitted = Assert.ThrowsException<InvalidOperationException>(() => trajectory.EndAsync(1.0));
        StringAssert.Contains(uncommitted.Message, "not committed");
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => trajectory.EndAsync(double.NaN));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => trajectory.EndAsync(-1));
    }

    [TestMethod]
    public async Task StepsAreBatchedIntoMessagesBySize()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(ObsActionSpec());
        // 16 bytes a step, 64-byte messages: every fourth commit sends a message.
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { MaxMessageBytes = 64 });
        var trajectory = await writer.BeginTrajectoryAsync();
        for (var step = 0; step < 3; step++)
            await trajectory.Append<float>("obs", [1, 2, 3]).Append("action", step).CommitStepsAsync();
        await Task.Delay(200);
        Assert.AreEqual(0, (await client.GetTableAsync("t")).OpenTrajectories, "three steps are below one message: nothing sent yet");

        await trajectory.Append<float>("obs", [1, 2, 3]).Append("action", 3).CommitStepsAsync();
        await WaitUntilAsync(async () => (await client.GetTableAsync("t")).StoredSteps == 4, "the fourth step fills a message");

        await trajectory.Append<float>("obs", [1, 2, 3]).Append("action", 4).CommitStepsAsync();
        await Task.Delay(200);
        Assert.AreEqual(4, (await client.GetTableAsync("t")).StoredSteps);
        await writer.FlushAsync();
        Assert.AreEqual(5, (await client.GetTableAsync("t")).StoredSteps, "FlushAsync sends the partial message");
    }

    [TestMethod]
    public async Task ServerRejectionFailsPendingTasksAndTheNextCallWithTheColumnNamed()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(ObsActionSpec());
        await using var writer = await client.OpenWriterAsync("t");
        var first = await writer.BeginTrajectoryAsync();
        await first.Append<float>("obs", [1, 2, 3]).Append("action", 1).CommitStepsAsync();
        Assert.AreEqual(1u, (await first.EndAsync(1)).Steps);

        // The table is re-created with a wider obs: the writer's spec is stale and the server refuses the step.
        await client.DropTableAsync("t");
        await client.CreateTableAsync(Spec("t", Selector.Uniform, Column("obs", DType.F32, 4), Column("action", DType.I32)));
        var second = await writer.BeginTrajectoryAsync();
        await second.Append<float>("obs", [1, 2, 3]).Append("action", 2).CommitStepsAsync();
        var pending = second.EndAsync(1);

        var failure = await Assert.ThrowsExceptionAsync<TrajectoryWriteException>(() => pending);
        Assert.AreEqual(Gear.Protocol.Grpc.StatusCode.InvalidArgument, failure.StatusCode);
        StringAssert.Contains(failure.Detail, "obs");
        Assert.AreEqual(server.Address, failure.Endpoint);

        var next = await Assert.ThrowsExceptionAsync<TrajectoryWriteException>(async () => await writer.BeginTrajectoryAsync());
        StringAssert.Contains(next.Detail, "obs");
        await Assert.ThrowsExceptionAsync<TrajectoryWriteException>(() => writer.FlushAsync());
    }

    [TestMethod]
    public async Task UnacknowledgedTrajectoriesAreCappedAndBeginWaits()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        // A queue of one: the second end waits in the server until the first item is sampled.
        var spec = ObsActionSpec();
        spec.RateLimiter = new RateLimiterSpec { Queue = new RateLimiterSpec.Types.Queue { Size = 1 } };
        await client.CreateTableAsync(spec);
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { MaxTrajectoriesInFlight = 2, CloseTimeout = TimeSpan.FromSeconds(5) });

        async Task<Task<CommittedTrajectory>> WriteOneAsync()
        {
            var trajectory = await writer.BeginTrajectoryAsync();
            await trajectory.Append<float>("obs", [1, 2, 3]).Append("action", 1).CommitStepsAsync();
            return trajectory.EndAsync(1);
        }

        await await WriteOneAsync();              // committed: the queue holds one
        var blocked = await WriteOneAsync();      // waits in the server's rate limiter
        var alsoBlocked = await WriteOneAsync();  // queued behind it on the stream
        var begin = writer.BeginTrajectoryAsync().AsTask();
        await Task.Delay(300);
        Assert.IsFalse(begin.IsCompleted, "a third trajectory in flight must wait");
        Assert.IsFalse(blocked.IsCompleted);
        Assert.AreEqual(2, writer.PendingAcknowledgements);

        using (await client.SampleAsync(new SampleOptions("t") { BatchSize = 1 }))
        {
        }
        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        var third = await begin.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(third.IsOpen);
        using (await client.SampleAsync(new SampleOptions("t") { BatchSize = 1 }))
        {
        }
        await alsoBlocked.WaitAsync(TimeSpan.FromSeconds(10));
        await third.AbandonAsync();
    }

    [TestMethod]
    public async Task BufferedBytesAreCappedAndCommitWaitsForTheConnection()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        var spec = Spec("t", Selector.Uniform, Column("obs", DType.U8, 64 * 1024));
        spec.HostCapacityBytes = 256L << 20;
        spec.RateLimiter = new RateLimiterSpec { Queue = new RateLimiterSpec.Types.Queue { Size = 1 } };
        await client.CreateTableAsync(spec);
        const long cap = 512 * 1024;
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { MaxMessageBytes = 64 * 1024, MaxBufferedBytes = cap, CloseTimeout = TimeSpan.FromSeconds(5) });
        var step = new byte[64 * 1024];

        // Two one-step trajectories: the second's end blocks in the server, which then stops reading the stream.
        for (var i = 0; i < 2; i++)
        {
            var t = await writer.BeginTrajectoryAsync();
            await t.Append<byte>("obs", step).CommitStepsAsync();
            _ = t.EndAsync(1);
        }
        var big = await writer.BeginTrajectoryAsync();
        Task? stalled = null;
        for (var i = 0; i < 1000 && stalled is null; i++)
        {
            var commit = big.Append<byte>("obs", step).CommitStepsAsync().AsTask();
            Assert.IsTrue(writer.BufferedBytes <= cap + step.Length, $"{writer.BufferedBytes} bytes buffered; the cap is {cap}");
            if (!await Task.WhenAny(commit, Task.Delay(500)).ContinueWith(t => t.Result == commit))
                stalled = commit;
        }
        Assert.IsNotNull(stalled, "with the server not reading, a commit must wait once the writer holds MaxBufferedBytes");
        Assert.IsTrue(writer.BufferedBytes <= cap + step.Length);

        using (await client.SampleAsync(new SampleOptions("t") { BatchSize = 1 }))
        {
        }
        await stalled.WaitAsync(TimeSpan.FromSeconds(20));
        await big.AbandonAsync();
    }

    [TestMethod]
    public async Task StepPrioritiesForStepItems()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(Spec("s", Selector.Prioritized, ItemGranularity.Step, Column("x", DType.I64)));
        await using var writer = await client.OpenWriterAsync("s");
        var trajectory = await writer.BeginTrajectoryAsync();
        await trajectory.Append<long>("x", [1, 2, 3]).CommitStepsAsync();
        Assert.ThrowsException<ArgumentException>(() => trajectory.EndAsync([1.0, 2.0]));
        await trajectory.EndAsync([0.0, 0.0, 5.0]);
        using var batch = await client.SampleAsync(new SampleOptions("s") { BatchSize = 50, Seed = 3, Placement = WindowPlacement.Start });
        Assert.IsTrue(batch.Column<long>("x").ToArray().All(x => x == 3), "only the step with priority 5 can be sampled");
    }

    [TestMethod]
    public async Task AbandonedTrajectoriesLeaveNothing()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(ObsActionSpec());
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { MaxMessageBytes = 16 });
        var sent = await writer.BeginTrajectoryAsync();
        await sent.Append<float>("obs", [1, 2, 3]).Append("action", 1).CommitStepsAsync();
        await writer.FlushAsync();
        Assert.AreEqual(1, (await client.GetTableAsync("t")).OpenTrajectories);
        await sent.AbandonAsync();
        Assert.AreEqual(0, (await client.GetTableAsync("t")).OpenTrajectories);
        Assert.ThrowsException<InvalidOperationException>(() => sent.Append("action", 1));

        var local = await writer.BeginTrajectoryAsync();
        await local.AbandonAsync(); // never sent: completes at once
        Assert.AreEqual(0, writer.PendingAcknowledgements);
    }

    [TestMethod]
    public async Task AppendAndCommitAllocateNothingPerStep()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        var spec = Spec("t", Selector.Uniform, Column("obs", DType.F32, 17), Column("action", DType.F32, 6), Column("reward", DType.F32), Column("done", DType.Bool));
        spec.HostCapacityBytes = 64L << 20;
        await client.CreateTableAsync(spec);
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { MaxMessageBytes = 1 << 20 });
        var obs = writer.Layout["obs"];
        var action = writer.Layout["action"];
        var trajectory = await writer.BeginTrajectoryAsync();
        var o = new float[17];
        var a = new float[6];
        void Step()
        {
            var commit = trajectory.Append<float>(obs, o).Append<float>(action, a).Append("reward", 1f).Append("done", false).CommitStepsAsync();
            if (!commit.IsCompletedSuccessfully)
                throw new AssertFailedException("commit waited");
        }
        for (var i = 0; i < 100; i++)
            Step(); // warm up (JIT, pool)
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            Step(); // 1000 × 97 bytes: well under one message, so nothing is cut
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0, allocated, $"{allocated} bytes allocated over 1,000 steps");
        await trajectory.EndAsync(1);
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
