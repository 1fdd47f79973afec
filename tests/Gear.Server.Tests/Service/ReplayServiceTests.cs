using System.Buffers;
using System.Diagnostics;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Server.Tests.Service;

/// <summary>The replay service end to end through Gear.Protocol's client, on loopback.</summary>
[TestClass]
public sealed class ReplayServiceTests
{
    private static ServiceHarness _server = null!;
    private static ReplayClient _client = null!;

    [ClassInitialize]
    public static async Task StartServer(TestContext context)
    {
        _server = await ServiceHarness.StartAsync();
        _client = _server.Client();
    }

    [ClassCleanup]
    public static async Task StopServer() => await _server.DisposeAsync();

    [TestMethod]
    public async Task CreateListAndDropTables()
    {
        var info = await _client.Unary(ReplayMethods.GetServerInfo, new GetServerInfoRequest());
        Assert.AreEqual("cpu", info.Backend);
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));

        var table = await _client.InfoAsync(name);
        CollectionAssert.AreEqual(new[] { "obs", "action" }, table.Spec.Columns.Select(c => c.Name).ToArray());
        Assert.AreEqual(32, table.Spec.PageSteps, "defaults are filled in");

        await _client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = name });
        var listed = await _client.Unary(ReplayMethods.ListTables, new ListTablesRequest());
        Assert.IsFalse(listed.Tables.Any(t => t.Spec.Name == name));
    }

    [TestMethod]
    public async Task SampledWindowsCarryTheInsertedBytes()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        const int length = 6;
        var keys = await _client.InsertAsync(name, Enumerable.Range(1, 8).Select(i => (ulong)i), length);

        var reply = await _client.Unary(ReplayMethods.Sample, new SampleRequest
        {
            Table = name, BatchSize = 32, WindowLength = 4, Placement = WindowPlacement.Uniform, Seed = 3,
        });

        Assert.AreEqual(32, reply.Keys.Count);
        for (var i = 0; i < reply.Keys.Count; i++)
        {
            var trajectory = keys[reply.Keys[i]];
            var start = reply.StartSteps[i];
            Assert.IsTrue(start is >= 0 and <= length - 4, $"start {start}");
            CollectionAssert.AreEqual(KnownSteps.Obs(trajectory, start, 4), reply.Columns[0].Span.Slice(i * 48, 48).ToArray(), $"obs of window {i}");
            CollectionAssert.AreEqual(KnownSteps.Action(trajectory, start, 4), reply.Columns[1].Span.Slice(i * 16, 16).ToArray(), $"action of window {i}");
            Assert.AreEqual(1.0 / 8, reply.Probabilities[i], 1e-12);
        }
        Assert.IsTrue(reply.Mask.Span.ToArray().All(b => b == 1));
    }

    [TestMethod]
    public async Task SampleStreamSendsTheBatchesAskedFor()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await _client.InsertAsync(name, [1, 2, 3], 3);

        using var call = _client.Channel.ServerStreaming(ReplayMethods.SampleStream, new SampleStreamRequest
        {
            Sample = new SampleRequest { Table = name, BatchSize = 5, WindowLength = 3, Placement = WindowPlacement.End },
            MaxBatches = 7,
            BatchesInFlight = 3,
        }, _client.Options());
        var sequences = new List<ulong>();
        while (await call.ResponseStream.MoveNext())
            sequences.Add(call.ResponseStream.Current.Sequence);

        CollectionAssert.AreEqual(Enumerable.Range(0, 7).Select(i => (ulong)i).ToList(), sequences);
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task SampleStreamRepliesAreTheBytesProtobufWrites()
    {
        // Head padding on windows longer than the trajectories: negative start steps (10-byte varints) and a mask with zeros.
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), Selector.Prioritized));
        await _client.InsertAsync(name, [1, 2, 3], 3);
        var sample = new SampleRequest
        {
            Table = name, BatchSize = 5, WindowLength = 4, Placement = WindowPlacement.End, Padding = PaddingSide.Head, Seed = 9,
        };
        var unary = await _client.Unary(ReplayMethods.Sample, sample);

        using var call = _client.Channel.ServerStreaming(ReplayMethods.SampleStream, new SampleStreamRequest { Sample = sample, MaxBatches = 2 },
            (in ReadOnlySequence<byte> payload) => payload.ToArray(), _client.Options());
        var replies = new List<byte[]>();
        while (await call.ResponseStream.MoveNext())
            replies.Add(call.ResponseStream.Current);

        Assert.AreEqual(2, replies.Count);
        Assert.IsTrue(unary.StartSteps.Any(s => s < 0) && unary.Mask.Span.Contains((byte)0), "the batch has padding");
        // The same seed draws the same first batch; its sequence (0) is left out as protobuf leaves out defaults.
        CollectionAssert.AreEqual(unary.ToByteArray(), replies[0]);
        var second = SampleResponse.Parser.ParseFrom(replies[1]);
        Assert.AreEqual(1UL, second.Sequence);
        CollectionAssert.AreEqual(second.ToByteArray(), replies[1]);
    }

    [TestMethod]
    public async Task PriorityUpdatesMoveTheDistribution()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), Selector.Prioritized));
        var keys = (await _client.InsertAsync(name, Enumerable.Range(1, 10).Select(i => (ulong)i), 2)).Keys.ToArray();
        var favourite = keys[0];

        async Task<double> ShareAsync()
        {
            var reply = await _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 4000, WindowLength = 1, Seed = 5 });
            return reply.Keys.Count(k => k == favourite) / 4000.0;
        }

        var before = await ShareAsync();
        var update = new UpdatePrioritiesRequest { Table = name, Keys = { keys }, Priorities = { 91.0 } };
        update.Priorities.AddRange(Enumerable.Repeat(1.0, 9));
        var result = await _client.Unary(ReplayMethods.UpdatePriorities, update);
        var after = await ShareAsync();

        Assert.AreEqual(10, result.Applied);
        Assert.AreEqual(100, (await _client.InfoAsync(name)).SelectionMass, 1e-9, "Σ p^α with α = 1");
        var reply = await _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 });
        Assert.AreEqual(100, reply.SelectionMass, 1e-9);
        Assert.AreEqual(10, reply.ItemCount);
        Assert.AreEqual(0.1, before, 0.03);
        Assert.AreEqual(0.91, after, 0.03);
    }

    [TestMethod]
    public async Task RateLimitedSampleEndsAtTheCallersDeadline()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), minSize: 1000));
        await _client.InsertAsync(name, [1], 2);

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 }, TimeSpan.FromMilliseconds(400)));

        Assert.AreEqual(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.IsTrue(watch.Elapsed > TimeSpan.FromMilliseconds(300) && watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        // The client's own deadline timer may end the call a moment before the server's drops its waiter.
        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).RateLimiter.BlockedSamplers == 0);
    }

    [TestMethod]
    public async Task CancelledStreamReleasesItsWait()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), minSize: 1000));
        var call = _client.Channel.ServerStreaming(ReplayMethods.SampleStream,
            new SampleStreamRequest { Sample = new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 } }, _client.Options());
        var reading = call.ResponseStream.MoveNext();
        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).RateLimiter.BlockedSamplers == 1);

        call.Dispose();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => reading);
        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode);
        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).RateLimiter.BlockedSamplers == 0);
    }

    [TestMethod]
    public async Task DroppingATableEndsItsStreamsWithUnavailable()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), minSize: 1000));
        using var call = _client.Channel.ServerStreaming(ReplayMethods.SampleStream,
            new SampleStreamRequest { Sample = new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 } }, _client.Options());
        var reading = call.ResponseStream.MoveNext();
        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).RateLimiter.BlockedSamplers == 1);

        await _client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = name }, TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => reading);
        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "dropped");
    }

    [TestMethod]
    public async Task RateLimitedInsertsStopReadingTheActorStream()
    {
        // Queue(2): at most two unsampled items; the third end must wait until a sample makes room.
        var spec = KnownSteps.Spec(KnownSteps.NewName());
        spec.RateLimiter = new RateLimiterSpec { Queue = new RateLimiterSpec.Types.Queue { Size = 2 } };
        spec.Sampler = Selector.Fifo;
        spec.MaxTimesSampled = 1;
        var name = await _client.CreateTableAsync(spec);
        using var call = _client.Channel.DuplexStreaming(ReplayMethods.InsertStream, _client.Options());
        for (ulong t = 1; t <= 4; t++)
        {
            await call.RequestStream.WriteAsync(KnownSteps.Append(name, t, 1));
            await call.RequestStream.WriteAsync(new InsertRequest { End = new EndTrajectory { Trajectory = t, Priority = 1 } });
        }

        var acks = 0;
        for (; acks < 2; acks++)
            Assert.IsTrue(await call.ResponseStream.MoveNext());
        var third = call.ResponseStream.MoveNext();
        // The third end reaches the rate limiter when the server gets to it; then it stays there.
        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).RateLimiter.BlockedInserters == 1);
        await Task.Delay(300);
        Assert.IsFalse(third.IsCompleted, "the third trajectory waits on the rate limiter");
        var info = await _client.InfoAsync(name);
        Assert.AreEqual(2, info.ItemCount);
        Assert.AreEqual(1, info.RateLimiter.BlockedInserters);

        await _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 });
        Assert.IsTrue(await third);
        Assert.AreEqual(3UL, call.ResponseStream.Current.Committed.Trajectory);
    }

    [TestMethod]
    public async Task ADisconnectedActorLeavesNoOpenTrajectory()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        var call = _client.Channel.DuplexStreaming(ReplayMethods.InsertStream, _client.Options());
        await call.RequestStream.WriteAsync(KnownSteps.Append(name, 1, 5));
        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).OpenTrajectories == 1);

        call.Dispose();

        await WaitUntilAsync(async () => (await _client.InfoAsync(name)).OpenTrajectories == 0);
        var info = await _client.InfoAsync(name);
        Assert.AreEqual(info.PagesTotal, info.PagesFree, "the abandoned trajectory's pages are free again");
    }

    [TestMethod]
    public async Task BadRequestsGetTheirStatusAndLeaveTheTableUnchanged()
    {
        var name = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await _client.InsertAsync(name, [1], 2);
        var good = KnownSteps.Append(name, 9, 2);

        await AssertStatus(StatusCode.NotFound, "'nope'", _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = "nope", BatchSize = 1, WindowLength = 1 }));
        await AssertStatus(StatusCode.InvalidArgument, "2 columns", InsertOnly(new InsertRequest
        {
            Append = new AppendSteps { Trajectory = 9, Table = name, StepCount = 2, Columns = { good.Append.Columns[0] } },
        }));
        await AssertStatus(StatusCode.InvalidArgument, "column 'action'", InsertOnly(new InsertRequest
        {
            Append = new AppendSteps { Trajectory = 9, Table = name, StepCount = 2, Columns = { good.Append.Columns[0], ByteString.CopyFrom(new byte[7]) } },
        }));
        foreach (var priority in new[] { double.NaN, -1, double.PositiveInfinity })
            await AssertStatus(StatusCode.InvalidArgument, "priority", InsertOnly(good, new InsertRequest { End = new EndTrajectory { Trajectory = 9, Priority = priority } }));
        await AssertStatus(StatusCode.InvalidArgument, "batch_size", _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 0, WindowLength = 1 }));
        await AssertStatus(StatusCode.InvalidArgument, "max_send_message_bytes",
            _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 1 << 20, WindowLength = 1 << 10 }));
        await AssertStatus(StatusCode.InvalidArgument, "batches_in_flight", StreamOnly(new SampleStreamRequest
        {
            Sample = new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 }, BatchesInFlight = 1000,
        }));
        await AssertStatus(StatusCode.FailedPrecondition, "trajectory 42", InsertOnly(new InsertRequest { Abandon = new AbandonTrajectory { Trajectory = 42 } }));
        await AssertStatus(StatusCode.InvalidArgument, "one of append, end or abandon", InsertOnly(new InsertRequest()));
        await AssertStatus(StatusCode.AlreadyExists, name, _client.Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = KnownSteps.Spec(name) }));
        await AssertStatus(StatusCode.InvalidArgument, "spec", _client.Unary(ReplayMethods.CreateTable, new CreateTableRequest()));
        var checkpoint = await _client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest());
        StringAssert.StartsWith(checkpoint.Path, Path.Combine(_server.CheckpointDirectory, "ckpt-"));
        Assert.IsTrue(File.Exists(Path.Combine(checkpoint.Path, "manifest.json")), checkpoint.Path);
        await AssertStatus(StatusCode.Unimplemented, "data plane", _client.Unary(ReplayMethods.OpenDataPlane, new OpenDataPlaneRequest()));

        var info = await _client.InfoAsync(name);
        Assert.AreEqual(1, info.ItemCount);
        Assert.AreEqual(0, info.OpenTrajectories);
        Assert.AreEqual(2, info.StoredSteps);
    }

    private static async Task InsertOnly(params InsertRequest[] requests)
    {
        using var call = _client.Channel.DuplexStreaming(ReplayMethods.InsertStream, _client.Options());
        foreach (var request in requests)
            await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext())
        {
        }
    }

    private static async Task StreamOnly(SampleStreamRequest request)
    {
        using var call = _client.Channel.ServerStreaming(ReplayMethods.SampleStream, request, _client.Options());
        while (await call.ResponseStream.MoveNext())
        {
        }
    }

    internal static async Task AssertStatus(StatusCode code, string fragment, Task call)
    {
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call);
        Assert.AreEqual(code, error.StatusCode, error.Status.Detail);
        StringAssert.Contains(error.Status.Detail, fragment);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("the condition did not become true within 10 s");
            await Task.Delay(20);
        }
    }
}
