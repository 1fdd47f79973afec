using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Bench.Soak;

/// <summary>
/// Connections to the gRPC port that do nothing: each made one cheap call (GetServerInfo) and then stays open.
/// Kestrel may close an HTTP/2 connection that has had no stream for its keep-alive timeout (130 s by default;
/// whether the keep-alive pings count as activity depends on who sends them), so each connection makes one more
/// such call every <see cref="TouchEvery"/>, spread evenly over that time: one call a minute per connection keeps
/// them open whatever the ping settings, without being load.
/// </summary>
internal sealed class IdleConnections : IAsyncDisposable
{
    /// <summary>How often each connection makes its call: well inside Kestrel's keep-alive timeout.</summary>
    public static readonly TimeSpan TouchEvery = TimeSpan.FromSeconds(60);

    // Opening a thousand connections one by one takes seconds on a loaded machine; all at once floods the accept queue.
    private const int OpenInParallel = 32;

    private static readonly GetServerInfoRequest Request = new();

    private readonly GrpcChannel[] _channels;
    private readonly SoakErrors _errors;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _touching;

    private IdleConnections(GrpcChannel[] channels, SoakErrors errors)
    {
        _channels = channels;
        _errors = errors;
        _touching = Task.Run(TouchAsync, CancellationToken.None);
    }

    /// <summary>Opens <paramref name="count"/> connections, each with its first call made.</summary>
    public static async Task<IdleConnections> OpenAsync(BenchRun run, int count, SoakErrors errors, CancellationToken cancellation)
    {
        var channels = new GrpcChannel[count];
        for (var i = 0; i < count; i++)
            channels[i] = run.NewChannel();
        await Parallel.ForEachAsync(channels, new ParallelOptions { MaxDegreeOfParallelism = OpenInParallel, CancellationToken = cancellation },
            async (channel, _) => await CallAsync(channel, errors));
        return new IdleConnections(channels, errors);
    }

    /// <summary>Closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _touching;
        foreach (var channel in _channels)
            channel.Dispose();
        _stop.Dispose();
    }

    private async Task TouchAsync()
    {
        using var timer = new PeriodicTimer(TouchEvery / _channels.Length);
        try
        {
            for (var next = 0; await timer.WaitForNextTickAsync(_stop.Token); next = (next + 1) % _channels.Length)
                await CallAsync(_channels[next], _errors);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Closed.
        }
    }

    private static async Task CallAsync(GrpcChannel channel, SoakErrors errors)
    {
        try
        {
            await channel.UnaryAsync(ReplayMethods.GetServerInfo, Request);
        }
        catch (RpcException e)
        {
            // The channel reports transport failures as Unavailable too.
            errors.Add("idle connection", $"GetServerInfo: {e.StatusCode} {e.Status.Detail}");
        }
    }
}
