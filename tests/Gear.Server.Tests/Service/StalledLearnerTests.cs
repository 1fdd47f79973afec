using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Tests.Service;

/// <summary>
/// A learner that stops reading its SampleStream: HTTP/2 flow control stops the server's sampling for it, so
/// the server does no work and holds none of the table's pages for a learner that reads nothing; when it
/// reads again, the stream goes on.
/// </summary>
[TestClass]
public sealed class StalledLearnerTests
{
    [TestMethod]
    [Timeout(60_000)]
    public async Task AStalledSampleStreamStopsTheServersWorkForIt()
    {
        await using var harness = await ServiceHarness.StartAsync();
        var client = harness.Client();
        var table = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await client.InsertAsync(table, Enumerable.Range(1, 32).Select(i => (ulong)i), 8);

        // 64 windows of 8 steps: 8 KiB a batch, so the 16 MiB stream window holds ~2,000 batches before it fills.
        using var call = client.Channel.ServerStreaming(ReplayMethods.SampleStream, new SampleStreamRequest
        {
            Sample = new SampleRequest { Table = table, BatchSize = 64, WindowLength = 8 },
            BatchesInFlight = 2,
        }, client.Options());
        Assert.IsTrue(await call.ResponseStream.MoveNext());

        // The learner stops reading. The server fills the windows and stops; what it sampled then stays put.
        var settled = await SettledWindowsAsync(client, table);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.AreEqual(settled, await WindowsSampledAsync(client, table), "no gathers for a learner that reads nothing");
        Assert.IsTrue(settled < 64L * 4096, $"{settled} windows: bounded by the flow-control windows, not by time");

        // Reading again resumes the stream.
        for (var i = 0; i < 100; i++)
            Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.AreEqual(64, call.ResponseStream.Current.BatchSize);
    }

    [TestMethod]
    [Timeout(60_000)]
    public async Task AStalledSampleStreamHoldsNoPages()
    {
        await using var harness = await ServiceHarness.StartAsync();
        var client = harness.Client();
        var table = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        var keys = await client.InsertAsync(table, Enumerable.Range(1, 32).Select(i => (ulong)i), 8);

        using var call = client.Channel.ServerStreaming(ReplayMethods.SampleStream, new SampleStreamRequest
        {
            Sample = new SampleRequest { Table = table, BatchSize = 64, WindowLength = 8 },
        }, client.Options());
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        await SettledWindowsAsync(client, table);

        // The server now waits on a flush with a batch in its response buffer. Every item deleted: pages the
        // stream still held would stay allocated.
        var delete = new DeleteRequest { Table = table };
        delete.Keys.Add(keys.Keys);
        await client.Unary(ReplayMethods.Delete, delete);
        var info = await client.InfoAsync(table);
        Assert.AreEqual(0, info.ItemCount, "every item deleted");
        Assert.AreEqual(info.PagesTotal, info.PagesFree, "the stalled stream holds none of the deleted trajectories' pages");
    }

    /// <summary>Waits until the table's sampled-window count stops moving for half a second; returns it.</summary>
    private static async Task<long> SettledWindowsAsync(ReplayClient client, string table)
    {
        var last = -1L;
        for (var round = 0; round < 60; round++)
        {
            var now = await WindowsSampledAsync(client, table);
            if (now == last)
                return now;
            last = now;
            await Task.Delay(500);
        }
        Assert.Fail($"the server kept sampling for 30 s for a learner that reads nothing (now {last} windows)");
        return last;
    }

    private static async Task<long> WindowsSampledAsync(ReplayClient client, string table) => (await client.InfoAsync(table)).WindowsSampled;
}
