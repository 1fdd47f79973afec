using System.Diagnostics;
using System.Globalization;
using Gear.Client;
using Gear.Protocol.V1;

namespace Gear.Samples.CartPole;

/// <summary>
/// CartPole learned by DQN through Gear: actor tasks push episodes through TrajectoryWriter into a
/// prioritized step table, a learner trains on 2-step windows from a BatchStream and sends back priorities,
/// and Gear's rate limiter keeps sampling and inserting in step. See README.md.
/// </summary>
public static class Program
{
    private const string Table = "cartpole";
    private const int BatchSize = 64;

    public static async Task<int> Main(string[] args)
    {
        var options = CartPoleOptions.Parse(args);
        if (options is null)
            return 2;

        using var ownServer = options.Server is null ? await GearServerProcess.StartAsync(TimeSpan.FromSeconds(60)) : null;
        var address = options.Server ?? ownServer!.Address;
        Console.WriteLine($"replay server {address}; {options.Actors} actors; budget {options.Seconds} s; target mean greedy return {options.Target}");

        await using var client = new GearClient(address);
        await CreateTableAsync(client);

        var online = QNetwork.Create(options.Seed);
        var learner = new DqnLearner(online, BatchSize, learningRate: 5e-4f);
        var snapshot = new PolicySnapshot(online.Parameters.Length);
        snapshot.Publish(online.Parameters);
        var exploration = new ExplorationSchedule(decaySteps: 20_000);
        var priorities = new SharedPriorities();
        var evaluation = new GreedyEvaluation(episodes: 10, seed: 7);
        var curve = new LearningCurve();

        using var stopActors = new CancellationTokenSource();
        var actorTasks = Enumerable.Range(0, options.Actors).Select(async id =>
        {
            await using var writer = await client.OpenWriterAsync(Table);
            var actor = new Actor(id, QNetwork.Create(seed: 0), snapshot, exploration, priorities);
            try
            {
                await actor.RunAsync(writer, stopActors.Token);
            }
            catch (OperationCanceledException) when (stopActors.IsCancellationRequested)
            {
                // Stopping: the episode in progress is abandoned with the writer.
            }
        }).ToArray();

        var clock = Stopwatch.StartNew();
        double? reachedAt = null;
        var nextEvaluation = 0.0;
        await using (var stream = await client.OpenBatchStreamAsync(new SampleOptions(Table)
        {
            BatchSize = BatchSize,
            WindowLength = 2,
            Placement = WindowPlacement.Start,
            ImportanceExponent = 0.4,
            BatchesInFlight = 2,
        }))
        {
            await foreach (var batch in stream)
            {
                using (batch)
                {
                    var newPriorities = learner.Train(batch);
                    foreach (var p in newPriorities)
                        priorities.Observe(p);
                    await stream.UpdatePrioritiesAsync(batch, newPriorities);
                }
                if (learner.Updates % 100 == 0)
                    snapshot.Publish(online.Parameters);

                var seconds = clock.Elapsed.TotalSeconds;
                if (seconds >= nextEvaluation)
                {
                    nextEvaluation = seconds + options.EvaluationInterval;
                    var meanReturn = evaluation.MeanReturn(online.Parameters);
                    curve.Add(seconds, exploration.Steps, meanReturn);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{seconds,6:0.0} s  env steps {exploration.Steps,8}  updates {learner.Updates,7}  mean greedy return {meanReturn,6:0.0}"));
                    if (meanReturn >= options.Target && reachedAt is null)
                        reachedAt = seconds;
                }
                if (reachedAt is not null || seconds >= options.Seconds)
                    break;
            }
        }

        await stopActors.CancelAsync();
        await Task.WhenAll(actorTasks);
        curve.WriteSvg(options.SvgPath, options.Target);
        Console.WriteLine($"learning curve written to {Path.GetFullPath(options.SvgPath)}");
        if (reachedAt is { } at)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"reached mean greedy return >= {options.Target} after {at:0.0} s ({exploration.Steps} env steps, {learner.Updates} updates)"));
            return 0;
        }
        Console.WriteLine($"did not reach mean greedy return {options.Target} within {options.Seconds} s");
        return options.ExpectTarget ? 3 : 0;
    }

    private static async Task CreateTableAsync(GearClient client)
    {
        if ((await client.ListTablesAsync()).Any(t => t.Spec.Name == Table))
            await client.DropTableAsync(Table);
        await client.CreateTableAsync(new TableSpec
        {
            Name = Table,
            Columns =
            {
                new ColumnSpec { Name = "obs", Dtype = DType.F32, Shape = { CartPoleEnvironment.ObservationSize } },
                new ColumnSpec { Name = "action", Dtype = DType.I32 },
                new ColumnSpec { Name = "reward", Dtype = DType.F32 },
                new ColumnSpec { Name = "terminal", Dtype = DType.Bool },
            },
            // 25 bytes a step: 8 MiB holds about 300,000 transitions, far more than 5 minutes produce.
            HostCapacityBytes = 8 << 20,
            MaxTrajectories = 20_000,
            Granularity = ItemGranularity.Step,
            Sampler = Selector.Prioritized,
            PriorityExponent = 0.6,
            Remover = Selector.Fifo,
            // Reverb's way of pacing actors and learner: 32 sampled transitions per inserted one (one update of
            // 64 per two env steps), sampling from 1,000 transitions on, with room for whole episodes.
            RateLimiter = new RateLimiterSpec
            {
                SampleToInsertRatio = new RateLimiterSpec.Types.SampleToInsertRatio { SamplesPerInsert = 32, MinSizeToSample = 1000, ErrorBuffer = 50_000 },
            },
        });
    }
}
