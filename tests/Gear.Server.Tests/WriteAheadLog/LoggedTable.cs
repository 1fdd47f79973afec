using Gear.Protocol;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;

namespace Gear.Server.Tests.WriteAheadLog;

/// <summary>Test helpers for logged tables: a spec that asks for the log, and reading every item back.</summary>
internal static class LoggedTable
{
    public const int Length = 6;

    /// <summary>A known-steps table that is logged and samples each item once per epoch.</summary>
    public static TableSpec Spec(string name)
    {
        var spec = KnownSteps.Spec(name, Selector.UniformWithoutReplacement);
        spec.WriteAheadLog = true;
        return spec;
    }

    /// <summary>
    /// Every item's trajectory id, read by sampling one epoch (each item exactly once), with each window's steps
    /// checked against the known content: a trajectory is either whole and byte-equal, or the test fails.
    /// </summary>
    public static async Task<List<ulong>> ReadAllAsync(ReplayClient client, string table)
    {
        var info = await client.InfoAsync(table);
        if (info.ItemCount == 0)
            return [];
        var reply = await client.Unary(ReplayMethods.Sample, new SampleRequest
        {
            Table = table, BatchSize = info.ItemCount, WindowLength = Length, Placement = WindowPlacement.Start, Seed = 1,
        });
        var obs = reply.Columns[0].ToByteArray();
        var actions = reply.Columns[1].ToByteArray();
        var trajectories = new List<ulong>();
        for (var i = 0; i < reply.BatchSize; i++)
        {
            var trajectory = (ulong)BitConverter.ToSingle(obs, i * Length * 12);
            CollectionAssert.AreEqual(KnownSteps.Obs(trajectory, 0, Length), obs.AsSpan(i * Length * 12, Length * 12).ToArray(), $"window {i}: obs of trajectory {trajectory}");
            CollectionAssert.AreEqual(KnownSteps.Action(trajectory, 0, Length), actions.AsSpan(i * Length * 4, Length * 4).ToArray(), $"window {i}: actions of trajectory {trajectory}");
            trajectories.Add(trajectory);
        }
        return trajectories;
    }
}
