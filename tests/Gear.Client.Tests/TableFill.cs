using Gear.Protocol.V1;

namespace Gear.Client.Tests;

/// <summary>Writes one-step trajectories with given priorities through a single-server client; returns their keys.</summary>
internal static class TableFill
{
    public static async Task<ulong[]> WriteAsync(GearClient client, string table, IReadOnlyList<double> priorities, int firstValue = 0)
    {
        await using var writer = await client.OpenWriterAsync(table);
        var ends = new List<Task<CommittedTrajectory>>();
        for (var i = 0; i < priorities.Count; i++)
        {
            var trajectory = await writer.BeginTrajectoryAsync();
            await trajectory.Append("value", firstValue + i).CommitStepsAsync();
            ends.Add(trajectory.EndAsync(priorities[i]));
        }
        var committed = await Task.WhenAll(ends);
        return committed.Select(c => c.Key).ToArray();
    }

    /// <summary>A table of one i32 column "value".</summary>
    public static TableSpec ValueTable(string name, Selector sampler, double? priorityExponent = null)
    {
        var spec = LoopbackServer.Spec(name, sampler, LoopbackServer.Column("value", DType.I32));
        if (priorityExponent is { } alpha)
            spec.PriorityExponent = alpha;
        return spec;
    }
}
