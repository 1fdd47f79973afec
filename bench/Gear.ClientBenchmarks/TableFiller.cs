using System.Diagnostics;
using Gear.Client;
using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// Creates a benchmark table through a client (on every shard) and fills it through a TrajectoryWriter, so
/// that with several endpoints each trajectory goes to the shard the hash ring picks, as an actor's would.
/// </summary>
internal static class TableFiller
{
    /// <summary>
    /// Creates and fills <paramref name="table"/>; returns how long the fill took. <paramref name="routingSalt"/>
    /// picks how trajectories spread over shards (0: a random spread).
    /// </summary>
    public static async Task<TimeSpan> CreateAndFillAsync(GearClient client, BenchTable table, CancellationToken cancellation, ulong routingSalt = 0)
    {
        await client.CreateTableAsync(table.Spec(), cancellationToken: cancellation);
        var start = Stopwatch.GetTimestamp();
        var data = StepData.For(table);
        var options = new TrajectoryWriterOptions { RoutingSalt = routingSalt };
        await using (var writer = await client.OpenWriterAsync(table.Name, options, cancellation))
        {
            var columns = table.Columns.Select(c => writer.Layout[c.Name]).ToArray();
            for (var written = 0; written < table.FillSteps; written += table.TrajectorySteps)
            {
                var trajectory = await writer.BeginTrajectoryAsync(cancellation);
                for (var c = 0; c < columns.Length; c++)
                {
                    if (columns[c].DType == DType.Bool)
                        trajectory.Append<bool>(columns[c], data.Done);
                    else
                        trajectory.Append<float>(columns[c], data.Floats[c]);
                }
                await trajectory.CommitStepsAsync(cancellation);
                // Not awaited one by one: the writer keeps up to its limit of trajectories unacknowledged.
                _ = trajectory.EndAsync(priority: 1.0);
            }
            await writer.FlushAsync(cancellation);
        }
        var info = await client.GetTableAsync(table.Name, cancellationToken: cancellation);
        if (info.StoredSteps != table.FillSteps || info.ItemsEvicted != 0)
            throw new InvalidOperationException($"filling {table.Name}: the shards hold {info.StoredSteps} steps ({info.ItemsEvicted} items evicted), {table.FillSteps} were written");
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>One trajectory's worth of values per column, reused for every trajectory.</summary>
    private sealed class StepData
    {
        public required float[][] Floats { get; init; }

        public required bool[] Done { get; init; }

        public static StepData For(BenchTable table)
        {
            var steps = table.TrajectorySteps;
            var floats = new float[table.Columns.Count][];
            for (var c = 0; c < floats.Length; c++)
            {
                var perStep = table.Columns[c].Shape.Aggregate(1, (n, d) => n * d);
                floats[c] = new float[steps * perStep];
                for (var i = 0; i < floats[c].Length; i++)
                    floats[c][i] = (i % 1000) * 0.001f + c;
            }
            var done = new bool[steps];
            done[^1] = true;
            return new StepData { Floats = floats, Done = done };
        }
    }
}
