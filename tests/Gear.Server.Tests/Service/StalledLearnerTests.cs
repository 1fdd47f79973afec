using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Tests.Service;

/// <summary>
/// A learner that stops reading its SampleStream: HTTP/2 flow control and the stream's batches in flight stop
/// the server's gathers for it, so the server does no work and holds nothing more for a learner that reads
/// nothing; when it reads again, the stream goes on.
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

        // 64 windows of 8 steps: 8 KiB a batch, so the 8 MiB stream window holds ~1,000 batches before it fills.
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
