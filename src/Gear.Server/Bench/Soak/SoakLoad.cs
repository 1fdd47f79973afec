using Gear.Protocol.Grpc;

namespace Gear.Server.Bench.Soak;

/// <summary>
/// The soak's steady load: actors inserting trajectories and learners sampling batches, each on its own
/// connection, all without pause. A stream that fails is counted as an error and opened again on the same
/// channel, so one failure neither ends the run nor hides the ones after it.
/// </summary>
internal sealed class SoakLoad : IAsyncDisposable
{
    /// <summary>Windows per sampled batch (transitions: one step each).</summary>
    public const int BatchSize = 256;

    /// <summary>
    /// The SampleStream learners send new priorities for every this many batches: "occasionally", so the update
    /// path is soaked too without doubling the calls. (The data-plane learners do not update.)
    /// </summary>
    public const int UpdatePrioritiesEvery = 4;

    // Long enough that a failing server is not hammered, short enough to keep the load on.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _stopActors = new();
    private readonly CancellationTokenSource _stopLearners = new();
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<Task> _actors = [];
    private readonly List<Task> _learners = [];

    private SoakLoad(SoakErrors errors) => Errors = errors;

    /// <summary>Step bytes of the trajectories the server acknowledged.</summary>
    public ByteCounter Inserted { get; } = new();

    /// <summary>Step bytes of the batches the learners received.</summary>
    public ByteCounter Sampled { get; } = new();

    /// <summary>Time from each End sent to its TrajectoryCommitted received.</summary>
    public LatencyRecorder InsertAck { get; } = new();

    /// <summary>Time each learner waited for each batch.</summary>
    public LatencyRecorder SampleBatch { get; } = new();

    /// <summary>Where failures are counted.</summary>
    public SoakErrors Errors { get; }

    /// <summary>Starts the actors and learners of <paramref name="options"/> against <paramref name="table"/>.</summary>
    public static SoakLoad Start(BenchRun run, BenchTable table, SoakOptions options, SoakErrors errors)
    {
        var load = new SoakLoad(errors);
        for (var i = 0; i < options.Actors; i++)
        {
            load._actors.Add(load.KeepRunning(run, $"actor {i}", load._stopActors.Token,
                (channel, stop) => ActorStream.RunAsync(channel, table, 0, load.Inserted, stop, load.InsertAck)));
        }
        for (var i = 0; i < options.StreamLearners; i++)
        {
            load._learners.Add(load.KeepRunning(run, $"SampleStream learner {i}", load._stopLearners.Token,
                (channel, stop) => SampleStreamWorkload.ReadAsync(channel, table, BatchSize, 1, load.Sampled, stop, load.SampleBatch, UpdatePrioritiesEvery)));
        }
        for (var i = 0; i < options.DataPlaneLearners; i++)
        {
            load._learners.Add(load.KeepRunning(run, $"data-plane learner {i}", load._stopLearners.Token,
                (channel, stop) => DataPlaneSampleWorkload.ReadAsync(channel, table, BatchSize, 1, load.Sampled, stop, load.SampleBatch)));
        }
        return load;
    }

    /// <summary>
    /// Stops the actors first and waits for their last acknowledgements, which may need samples to free the rate
    /// limiter, and only then the learners.
    /// </summary>
    /// <exception cref="TimeoutException">The actors did not finish within <paramref name="timeout"/>.</exception>
    public async Task StopAsync(TimeSpan timeout)
    {
        await _stopActors.CancelAsync();
        try
        {
            await Task.WhenAll(_actors).WaitAsync(timeout);
        }
        finally
        {
            await _stopLearners.CancelAsync();
        }
        await Task.WhenAll(_learners).WaitAsync(timeout);
    }

    /// <summary>Stops everything still running and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopActors.CancelAsync();
        await _stopLearners.CancelAsync();
        try
        {
            // KeepRunning counts every failure, so these tasks only ever complete; they may be slow to.
            await Task.WhenAll(_actors.Concat(_learners)).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // A stream stuck past its stop (StopAsync has reported that): closing its channel below ends it.
        }
        foreach (var channel in _channels)
            channel.Dispose();
        _stopActors.Dispose();
        _stopLearners.Dispose();
    }

    private Task KeepRunning(BenchRun run, string who, CancellationToken stop, Func<GrpcChannel, CancellationToken, Task> stream)
    {
        var channel = run.NewChannel();
        _channels.Add(channel);
        return Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await stream(channel, stop);
                    if (!stop.IsCancellationRequested)
                        Errors.Add(who, "the stream ended before the soak did");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // The end of the soak.
                }
                catch (Exception e)
                {
                    Errors.Add(who, $"{e.GetType().Name}: {e.Message}");
                }
                if (!stop.IsCancellationRequested)
                    await Task.Delay(RetryDelay, CancellationToken.None);
            }
        }, CancellationToken.None);
    }
}
