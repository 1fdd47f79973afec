using System.Text.Json;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;

namespace Gear.Server.Tests.Admin;

[TestClass]
public sealed class AdminApiTests
{
    private static TableSpec SmallSpec(string name, Selector sampler = Selector.Uniform) => new()
    {
        Name = name,
        Columns = { new ColumnSpec { Name = "obs", Dtype = DType.F32, Shape = { 3 } }, new ColumnSpec { Name = "action", Dtype = DType.I32 } },
        HostCapacityBytes = 64 << 10,
        MaxTrajectories = 16,
        Sampler = sampler,
        PriorityExponent = 1,
    };

    [TestMethod]
    public async Task ListsAHundredTablesInPagesOfSmallEntries()
    {
        await using var harness = await AdminHarness.StartAsync();
        for (var i = 0; i < 100; i++)
            harness.Tables.Create(SmallSpec($"table-{i:D3}"));

        var all = await harness.GetAsync("/api/v1/tables?limit=100");
        Assert.AreEqual(200, all.Status);
        StringAssert.StartsWith(all.ContentType, "application/json");
        Assert.AreEqual(100, all.Json.GetProperty("total").GetInt32());
        var tables = all.Json.GetProperty("tables").EnumerateArray().ToArray();
        Assert.AreEqual(100, tables.Length);
        CollectionAssert.AreEqual(Enumerable.Range(0, 100).Select(i => $"table-{i:D3}").ToArray(),
            tables.Select(t => t.GetProperty("name").GetString()).ToArray(), "ordered by name");
        foreach (var table in tables)
            Assert.IsTrue(table.GetRawText().Length < 1000, $"an entry stays small: {table.GetRawText().Length} bytes");

        var defaultPage = await harness.GetAsync("/api/v1/tables");
        Assert.AreEqual(50, defaultPage.Json.GetProperty("tables").GetArrayLength(), "the default page holds 50");
        var lastPage = await harness.GetAsync("/api/v1/tables?offset=90&limit=25");
        Assert.AreEqual(10, lastPage.Json.GetProperty("tables").GetArrayLength());
        Assert.AreEqual("table-090", lastPage.Json.GetProperty("tables")[0].GetProperty("name").GetString());
        var filtered = await harness.GetAsync("/api/v1/tables?filter=TABLE-04");
        Assert.AreEqual(10, filtered.Json.GetProperty("total").GetInt32(), "the filter matches names without regard to case");
        Assert.AreEqual(400, (await harness.GetAsync("/api/v1/tables?limit=many")).Status);

        var server = (await harness.GetAsync("/api/v1/server")).Json;
        Assert.AreEqual(100, server.GetProperty("tableCount").GetInt32());
        Assert.AreEqual(100L * (64 << 10), server.GetProperty("memory").GetProperty("hostReservedBytes").GetInt64());
    }

    [TestMethod]
    public async Task ReportsCountsMemoryLimiterAndHistogramsOfATable()
    {
        await using var harness = await AdminHarness.StartAsync();
        var client = harness.Client();
        var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), Selector.Prioritized));
        harness.TickRates();
        await client.InsertAsync(name, [1, 2, 3], length: 4, priority: 3);
        harness.TickRates();

        var detail = await harness.GetAsync("/api/v1/tables/" + name);
        Assert.AreEqual(200, detail.Status);
        var json = detail.Json;
        var summary = json.GetProperty("summary");
        Assert.AreEqual(3, summary.GetProperty("items").GetInt32());
        Assert.AreEqual(12, summary.GetProperty("steps").GetInt64());
        Assert.IsTrue(summary.GetProperty("memory").GetProperty("hostUsedBytes").GetInt64() > 0);
        Assert.AreEqual(0, summary.GetProperty("memory").GetProperty("deviceReservedBytes").GetInt64());
        StringAssert.Contains(summary.GetProperty("memory").GetProperty("device").GetString(), "no device");
        Assert.IsTrue(summary.GetProperty("insertRate").GetDouble() > 0, "three items arrived between the two ticks");
        Assert.IsTrue(summary.GetProperty("rateLimiter").GetProperty("canSample").GetBoolean());
        Assert.AreEqual(0, summary.GetProperty("rateLimiter").GetProperty("blockedSamplers").GetInt32());

        var times = json.GetProperty("timesSampled");
        Assert.AreEqual(3, times.GetProperty("counts")[0].GetInt64(), "nothing sampled yet: all three in bucket 0");
        var priorities = json.GetProperty("priorities");
        Assert.IsTrue(priorities.GetProperty("tracked").GetBoolean());
        var labels = priorities.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.AreEqual(3, priorities.GetProperty("counts")[labels.IndexOf("2^1")].GetInt64(), "priority 3 lies in [2, 4)");

        Assert.AreEqual(404, (await harness.GetAsync("/api/v1/tables/no-such-table")).Status);
        Assert.AreEqual(404, (await harness.GetAsync("/api/v1/nothing")).Status);
    }

    [TestMethod]
    public async Task CountsActorsAndLearnersPerTable()
    {
        await using var harness = await AdminHarness.StartAsync();
        var client = harness.Client();
        var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await client.InsertAsync(name, [1], length: 2);

        using var actor = harness.Channel.DuplexStreaming(Gear.Protocol.ReplayMethods.InsertStream, client.Options());
        await actor.RequestStream.WriteAsync(KnownSteps.Append(name, 7, 2));
        using var learner = harness.Channel.ServerStreaming(Gear.Protocol.ReplayMethods.SampleStream,
            new SampleStreamRequest { Sample = new SampleRequest { Table = name, BatchSize = 1, WindowLength = 1 }, BatchesInFlight = 1 }, client.Options());
        Assert.IsTrue(await learner.ResponseStream.MoveNext());

        var row = await WaitForAsync(harness, name, r => r.GetProperty("actors").GetInt32() == 1 && r.GetProperty("learners").GetInt32() == 1);
        Assert.AreEqual(1, row.GetProperty("actors").GetInt32());

        await actor.RequestStream.CompleteAsync();
        while (await actor.ResponseStream.MoveNext()) { }
        learner.Dispose();
        await WaitForAsync(harness, name, r => r.GetProperty("actors").GetInt32() == 0 && r.GetProperty("learners").GetInt32() == 0);
    }

    private static async Task<JsonElement> WaitForAsync(AdminHarness harness, string table, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var row = (await harness.GetAsync("/api/v1/tables?filter=" + table)).Json.GetProperty("tables")[0];
            if (condition(row))
                return row;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"condition not met: {row.GetRawText()}");
            await Task.Delay(50);
        }
    }
}
