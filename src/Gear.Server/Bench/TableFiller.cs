using System.Diagnostics;

namespace Gear.Server.Bench;

/// <summary>Fills a table through an InsertStream before it is sampled, so samples read a full table.</summary>
internal static class TableFiller
{
    /// <summary>Inserts the table's fill steps (whole trajectories) and returns how long it took.</summary>
    public static async Task<TimeSpan> FillAsync(BenchRun run, BenchTable table)
    {
        var start = Stopwatch.GetTimestamp();
        using var channel = run.NewChannel();
        var committed = new ByteCounter();
        await ActorStream.RunAsync(channel, table, table.FillSteps / table.TrajectorySteps, committed, run.Cancellation);
        var expected = (long)table.FillSteps / table.TrajectorySteps * table.TrajectorySteps * table.Layout.StepBytes;
        if (committed.Read() != expected)
            throw new InvalidOperationException($"filling {table.Name}: {committed.Read()} bytes committed, {expected} expected");
        return Stopwatch.GetElapsedTime(start);
    }
}
