using Gear.Core.Compute;
using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Tables;
using Gear.Server.Service;
using Gear.Server.Tests.Service;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Small tables with known content, the valid inputs the file fuzz targets start from, and the invariants a
/// table loaded from a fuzzed file must still satisfy.
/// </summary>
internal static class SeedTables
{
    /// <summary>
    /// The table kinds the seeds cover: whole trajectories sampled uniformly, and prioritized steps (a sum tree
    /// and per-step priorities to restore).
    /// </summary>
    public static IEnumerable<Wire.TableSpec> Specs(string name) =>
    [
        KnownSteps.Spec(name + "-uniform"),
        KnownSteps.Spec(name + "-steps", Wire.Selector.Prioritized, granularity: Wire.ItemGranularity.Step),
    ];

    /// <summary>A table of <paramref name="spec"/> holding <paramref name="trajectories"/> closed trajectories of 1 to 6 steps, sampled once.</summary>
    public static Table Filled(Wire.TableSpec spec, IComputeBackend backend, int trajectories)
    {
        var table = new Table(TableSpecMapping.ToCore(spec), backend);
        Fill(table, trajectories);
        SampleOnce(table);
        return table;
    }

    /// <summary>Inserts <paramref name="trajectories"/> closed trajectories of 1 to 6 known steps.</summary>
    public static void Fill(Table table, int trajectories)
    {
        for (var t = 0; t < trajectories; t++)
        {
            var length = 1 + t % 6;
            var key = table.OpenTrajectory();
            table.Append(key, length, [KnownSteps.Obs((ulong)t, 0, length), KnownSteps.Action((ulong)t, 0, length)]);
            table.Close(key, 1.0 + t);
        }
    }

    /// <summary>
    /// Checks what a table loaded from untrusted bytes must satisfy: sizes add up, and sampling either works or
    /// is refused with a <see cref="GearException"/> (a rate limiter restored in a blocking state times out).
    /// Returns the broken invariant, or null.
    /// </summary>
    public static string? Violation(Table table)
    {
        var info = table.GetInfo();
        if (info.ItemCount < 0 || info.ClosedTrajectories < 0 || info.StoredSteps < 0 || info.PagesFree < 0)
            return $"negative size: {info}";
        if (info.PagesFree > info.PagesTotal || info.BytesUsed > info.BytesReserved)
            return $"more used than reserved: {info}";
        try
        {
            SampleOnce(table);
            return null;
        }
        catch (GearException)
        {
            return null;
        }
    }

    private static void SampleOnce(Table table)
    {
        using var batch = new WindowBatch(table.Spec.Columns, 4, 2);
        var placement = table.Spec.Granularity == Gear.Core.Schema.ItemGranularity.Step ? WindowPlacement.StartAnchored : WindowPlacement.Uniform;
        table.Sample(new SampleRequest(4, 2, placement), new RandomStream(1), batch, TimeSpan.Zero);
    }
}
