using System.Diagnostics;
using System.Globalization;
using Gear.Client;
using Gear.Protocol.V1;
using Gear.Samples.CartPole;

namespace Gear.Samples.DecisionTransformerWindows;

/// <summary>
/// The learner-side loop of a decision-transformer trainer on Gear: a table of hopper-shaped trajectories,
/// and a BatchStream of end-anchored 20-step windows (history ending at each trajectory's end, as decision
/// transformers train) turned into the model's inputs: returns-to-go, states, actions, timesteps and the
/// attention mask. See README.md.
/// </summary>
public static class Program
{
    private const string Table = "hopper";
    private const int Context = 20;
    private const int BatchSize = 64;

    public static async Task<int> Main(string[] args)
    {
        var trajectories = Argument(args, "--trajectories", 200);
        var batches = Argument(args, "--batches", 500);
        var server = args.SkipWhile(a => a != "--server").Skip(1).FirstOrDefault();

        using var ownServer = server is null ? await GearServerProcess.StartAsync(TimeSpan.FromSeconds(60)) : null;
        await using var client = new GearClient(server is null ? ownServer!.Address : new Uri(server));
        await CreateTableAsync(client, trajectories);

        var clock = Stopwatch.StartNew();
        await FillAsync(client, trajectories);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"inserted {trajectories} hopper trajectories of {HopperTrajectories.Length} steps in {clock.Elapsed.TotalSeconds:0.0} s"));

        // The model's inputs, allocated once and refilled for every batch.
        var inputs = new ModelInputs(BatchSize, Context, HopperTrajectories.ObservationSize, HopperTrajectories.ActionSize);
        clock.Restart();
        var received = 0;
        await using (var stream = await client.OpenBatchStreamAsync(new SampleOptions(Table)
        {
            BatchSize = BatchSize,
            WindowLength = Context,
            Placement = WindowPlacement.End,
            BatchesInFlight = 4,
            MaxBatches = batches,
        }))
        {
            await foreach (var batch in stream)
            {
                using (batch)
                    inputs.Fill(batch);
                received++;
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{received} batches of {BatchSize} × {Context}-step windows in {seconds:0.00} s: {received / seconds:0} batches/s, " +
            $"{received * BatchSize * Context / seconds / 1e6:0.00} M steps/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"last batch: timesteps {inputs.Timesteps[0]}..{inputs.Timesteps[Context - 1]} of window 0, " +
            $"return-to-go {inputs.ReturnsToGo[0]:0.0} → {inputs.ReturnsToGo[Context - 1]:0.0}, every return-to-go step checked against its reward"));
        return received == batches ? 0 : 1;
    }

    private static async Task CreateTableAsync(GearClient client, int trajectories)
    {
        if ((await client.ListTablesAsync()).Any(t => t.Spec.Name == Table))
            await client.DropTableAsync(Table);
        const int stepBytes = 4 * (HopperTrajectories.ObservationSize + HopperTrajectories.ActionSize + 2);
        await client.CreateTableAsync(new TableSpec
        {
            Name = Table,
            Columns =
            {
                new ColumnSpec { Name = "observation", Dtype = DType.F32, Shape = { HopperTrajectories.ObservationSize } },
                new ColumnSpec { Name = "action", Dtype = DType.F32, Shape = { HopperTrajectories.ActionSize } },
                new ColumnSpec { Name = "reward", Dtype = DType.F32 },
                new ColumnSpec { Name = "return_to_go", Dtype = DType.F32 },
            },
            HostCapacityBytes = (long)stepBytes * HopperTrajectories.Length * (trajectories + 8),
            MaxTrajectories = trajectories + 8,
            Sampler = Selector.Uniform,
        });
    }

    private static async Task FillAsync(GearClient client, int trajectories)
    {
        var source = new HopperTrajectories(seed: 3);
        var observations = new float[HopperTrajectories.Length * HopperTrajectories.ObservationSize];
        var actions = new float[HopperTrajectories.Length * HopperTrajectories.ActionSize];
        var rewards = new float[HopperTrajectories.Length];
        var returnsToGo = new float[HopperTrajectories.Length];
        await using var writer = await client.OpenWriterAsync(Table);
        for (var i = 0; i < trajectories; i++)
        {
            source.Next(observations, actions, rewards, returnsToGo);
            var trajectory = await writer.BeginTrajectoryAsync();
            for (var t = 0; t < HopperTrajectories.Length; t++)
            {
                trajectory.Append<float>("observation", observations.AsSpan(t * HopperTrajectories.ObservationSize, HopperTrajectories.ObservationSize))
                    .Append<float>("action", actions.AsSpan(t * HopperTrajectories.ActionSize, HopperTrajectories.ActionSize))
                    .Append("reward", rewards[t])
                    .Append("return_to_go", returnsToGo[t]);
                await trajectory.CommitStepsAsync();
            }
            _ = trajectory.EndAsync(priority: 1.0);
        }
        await writer.FlushAsync();
    }

    private static int Argument(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
