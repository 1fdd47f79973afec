using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;

namespace Gear.Server.Tests.Admin;

/// <summary>
/// Keeps a table busy until disposed: an actor inserting trajectories, a learner sampling batches with
/// unary calls and another holding a sample stream open, each paced a little so that two shared cores
/// still leave room for the server, the test and a browser.
/// </summary>
internal sealed class TrafficGenerator : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    public TrafficGenerator(ReplayClient client, string table)
    {
        _loops = [InsertAsync(client, table, _stop.Token), SampleAsync(client, table, _stop.Token), StreamAsync(client, table, _stop.Token)];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var loop in _loops)
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static async Task InsertAsync(ReplayClient client, string table, CancellationToken stop)
    {
        // One long-lived stream, as an actor keeps: the dashboard counts it as the table's actor.
        using var call = client.Channel.DuplexStreaming(ReplayMethods.InsertStream, client.Options(cancellationToken: stop));
        for (ulong trajectory = 1; !stop.IsCancellationRequested; trajectory++)
        {
            await call.RequestStream.WriteAsync(KnownSteps.Append(table, trajectory, 8));
            await call.RequestStream.WriteAsync(new InsertRequest { End = new EndTrajectory { Trajectory = trajectory, Priority = 0.5 + trajectory % 7 } });
            Assert.IsTrue(await call.ResponseStream.MoveNext(stop), "every end is acknowledged");
            await Task.Delay(5, stop);
        }
    }

    private static async Task SampleAsync(ReplayClient client, string table, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = table, BatchSize = 16, WindowLength = 4 }, TimeSpan.FromSeconds(30));
            await Task.Delay(20, stop);
        }
    }

    private static async Task StreamAsync(ReplayClient client, string table, CancellationToken stop)
    {
        using var call = client.Channel.ServerStreaming(ReplayMethods.SampleStream,
            new SampleStreamRequest { Sample = new SampleRequest { Table = table, BatchSize = 8, WindowLength = 2 }, BatchesInFlight = 1 },
            client.Options(cancellationToken: stop));
        while (await call.ResponseStream.MoveNext(stop))
            await Task.Delay(50, stop);
    }
}
