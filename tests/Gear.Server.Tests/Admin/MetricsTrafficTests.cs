using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;

namespace Gear.Server.Tests.Admin;

/// <summary>/metrics through real gRPC traffic: the exposition parses, and its counters move with the traffic.</summary>
[TestClass]
public sealed class MetricsTrafficTests
{
    private const string SampleMethod = "/gear.v1.Replay/Sample";

    private static async Task<PrometheusText> ScrapeAsync(AdminHarness harness)
    {
        var response = await harness.GetAsync("/metrics");
        Assert.AreEqual(200, response.Status);
        Assert.AreEqual("text/plain; version=0.0.4; charset=utf-8", response.ContentType);
        return PrometheusText.Parse(response.Body);
    }

    [TestMethod]
    public async Task CountersMoveWithInsertsAndSamples()
    {
        await using var harness = await AdminHarness.StartAsync();
        var client = harness.Client();
        var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        var before = await ScrapeAsync(harness);
        Assert.IsNull(before.Value("gear_insert_steps_total", ("table", name)), "no traffic yet");
        Assert.AreEqual(0, before.Value("gear_table_items", ("table", name)));

        await client.InsertAsync(name, [1, 2, 3, 4], length: 5);
        for (var i = 0; i < 3; i++)
            await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 8, WindowLength = 2 });

        var after = await ScrapeAsync(harness);
        Assert.AreEqual(20, after.Value("gear_insert_steps_total", ("table", name)), "4 trajectories of 5 steps");
        Assert.AreEqual(20 * (12 + 4), after.Value("gear_insert_bytes_total", ("table", name)), "obs f32[3] + action i32 per step");
        Assert.AreEqual(4, after.Value("gear_insert_trajectories_total", ("table", name)));
        Assert.AreEqual(24, after.Value("gear_sample_windows_total", ("table", name)));
        Assert.AreEqual(3, after.Value("gear_sample_batches_total", ("table", name)));
        Assert.AreEqual(24 * 2 * 16, after.Value("gear_sample_bytes_total", ("table", name)));
        Assert.AreEqual(3, after.Value("gear_sample_duration_seconds_count", ("table", name)));
        Assert.AreEqual(4, after.Value("gear_insert_commit_duration_seconds_count", ("table", name)));
        Assert.AreEqual(3, after.Value("gear_rpc_calls_total", ("method", SampleMethod), ("code", "OK")));
        Assert.AreEqual(3, after.Value("gear_rpc_duration_seconds_count", ("method", SampleMethod)));
        Assert.AreEqual(4, after.Value("gear_table_items", ("table", name)));
        Assert.AreEqual(20, after.Value("gear_table_steps", ("table", name)));
        Assert.IsTrue(after.Value("gear_table_memory_used_bytes", ("table", name), ("tier", "host")) > 0);
        Assert.AreEqual(0, after.Value("gear_table_memory_reserved_bytes", ("table", name), ("tier", "device")));
        Assert.IsNull(after.Value("gear_rate_limiter_waits_total", ("table", name), ("side", "sample")), "nothing waited");
        Assert.AreEqual("counter", after.Types["gear_insert_steps_total"]);
        Assert.AreEqual("histogram", after.Types["gear_sample_duration_seconds"]);
        Assert.AreEqual("gauge", after.Types["gear_table_items"]);
    }

    [TestMethod]
    public async Task ErrorsAreCountedByStatusCode()
    {
        await using var harness = await AdminHarness.StartAsync();
        var client = harness.Client();
        var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await Assert.ThrowsExceptionAsync<RpcException>(() =>
            client.Unary(ReplayMethods.Sample, new SampleRequest { Table = "missing", BatchSize = 1, WindowLength = 1 }));
        await Assert.ThrowsExceptionAsync<RpcException>(() =>
            client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 0, WindowLength = 1 }));
        await Assert.ThrowsExceptionAsync<RpcException>(() =>
            client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 }, TimeSpan.FromSeconds(1)));

        // The client gives up at its deadline and resets the stream; the server's own timer (from grpc-timeout)
        // ends the call at about the same moment. Whichever the server sees first decides the code it counts:
        // DEADLINE_EXCEEDED, or CANCELLED when the reset arrives first (a server that read the request late on a
        // loaded machine has a deadline a little after the client's). Either way the call is counted once.
        // (A whole second: with a shorter one a loaded machine could let it expire before the call reached its
        // handler, where refused calls are not counted.)
        var metrics = await ScrapeAsync(harness);
        double? TimedOut() =>
            (metrics.Value("gear_rpc_calls_total", ("method", SampleMethod), ("code", "DEADLINE_EXCEEDED")) ?? 0) +
            (metrics.Value("gear_rpc_calls_total", ("method", SampleMethod), ("code", "CANCELLED")) ?? 0);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); TimedOut() == 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(20);
            metrics = await ScrapeAsync(harness);
        }
        Assert.AreEqual(1, metrics.Value("gear_rpc_calls_total", ("method", SampleMethod), ("code", "NOT_FOUND")));
        Assert.AreEqual(1, metrics.Value("gear_rpc_calls_total", ("method", SampleMethod), ("code", "INVALID_ARGUMENT")));
        Assert.AreEqual(1, TimedOut(), "the call that ran out of time is counted once");
        Assert.AreEqual(1, metrics.Value("gear_rpc_calls_total", ("method", "/gear.v1.Replay/CreateTable"), ("code", "OK")));
    }

    [TestMethod]
    public async Task BlockedSamplersShowAsQueueDepthThenAsAWait()
    {
        await using var harness = await AdminHarness.StartAsync();
        var client = harness.Client();
        var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), minSize: 2));

        // The table needs two items before it samples: this call waits on the rate limiter.
        var waiting = client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 }, TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await ScrapeAsync(harness)).Value("gear_rate_limiter_blocked", ("table", name), ("side", "sample")) != 1)
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, "the blocked sampler shows in gear_rate_limiter_blocked");
            await Task.Delay(20);
        }
        var api = (await harness.GetAsync("/api/v1/tables?filter=" + name)).Json.GetProperty("tables")[0].GetProperty("rateLimiter");
        Assert.AreEqual(1, api.GetProperty("blockedSamplers").GetInt32(), "and in the API");

        await client.InsertAsync(name, [1, 2], length: 2);
        await waiting;
        var metrics = await ScrapeAsync(harness);
        Assert.AreEqual(1, metrics.Value("gear_rate_limiter_waits_total", ("table", name), ("side", "sample")));
        Assert.AreEqual(1, metrics.Value("gear_rate_limiter_wait_duration_seconds_count", ("table", name), ("side", "sample")));
        Assert.AreEqual(0, metrics.Value("gear_rate_limiter_blocked", ("table", name), ("side", "sample")));
    }

    [TestMethod]
    public async Task DroppedTablesLeaveTheGauges()
    {
        await using var harness = await AdminHarness.StartAsync();
        var client = harness.Client();
        var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        Assert.IsNotNull((await ScrapeAsync(harness)).Value("gear_table_items", ("table", name)));
        await client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = name });
        Assert.IsNull((await ScrapeAsync(harness)).Value("gear_table_items", ("table", name)));
    }
}
