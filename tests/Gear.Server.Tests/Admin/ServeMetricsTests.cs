using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Admin;

/// <summary>The admin routes of a real <c>gear serve</c>: composed with the service, they see its traffic.</summary>
[TestClass]
public sealed class ServeMetricsTests
{
    [TestMethod]
    public async Task MetricsAndApiOfARealServerFollowItsTraffic()
    {
        using var gear = await GearProcess.StartReadyAsync();
        using var http = new HttpClient { BaseAddress = gear.AdminAddress };
        using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
        var client = new ReplayClient(channel);
        var table = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));

        await client.InsertAsync(table, [1, 2], length: 3);
        var before = PrometheusText.Parse(await http.GetStringAsync("/metrics"));
        await client.InsertAsync(table, [3, 4, 5], length: 3);
        await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = table, BatchSize = 5, WindowLength = 1 });
        using var response = await http.GetAsync("/metrics");
        Assert.AreEqual("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var after = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.AreEqual(6, before.Value("gear_insert_steps_total", ("table", table)));
        Assert.AreEqual(15, after.Value("gear_insert_steps_total", ("table", table)));
        Assert.AreEqual(5, after.Value("gear_sample_windows_total", ("table", table)));
        Assert.IsTrue(after.Value("gear_grpc_connections_opened_total") >= 1, "the gRPC listener counts its connections");
        Assert.IsTrue(after.Value("gear_grpc_connections") >= 1);
        Assert.AreEqual(5, after.Value("gear_table_items", ("table", table)));

        var server = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/v1/server")).RootElement;
        Assert.AreEqual(3, server.GetProperty("tableCount").GetInt32());
        Assert.AreEqual("cpu", server.GetProperty("backend").GetString());
        Assert.IsTrue(server.GetProperty("itemsInserted").GetInt64() >= 5);
        using var page = await http.GetAsync("/");
        StringAssert.Contains(await page.Content.ReadAsStringAsync(), "<title>Gear");
        Assert.AreEqual("ok\n", await http.GetStringAsync("/healthz"));
    }
}
