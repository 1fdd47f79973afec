using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Server.Service;

namespace Gear.Server.Admin;

/// <summary>One table's spec and state, read at one moment.</summary>
/// <param name="Spec">The table's spec.</param>
/// <param name="Info">Its sizes, memory and counters.</param>
public sealed record TableSnapshot(TableSpec Spec, TableInfo Info)
{
    /// <summary>The table's name.</summary>
    public string Name => Spec.Name;
}

/// <summary>Reads every served table's state, each under a lease so that a table being dropped is skipped, not read freed.</summary>
public static class TableSnapshots
{
    /// <summary>The served tables' snapshots, ordered by name.</summary>
    public static IReadOnlyList<TableSnapshot> Take(TableRegistry registry)
    {
        var snapshots = new List<TableSnapshot>(registry.Count);
        foreach (var served in registry.Served)
        {
            if (Take(served) is { } snapshot)
                snapshots.Add(snapshot);
        }
        snapshots.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return snapshots;
    }

    internal static TableSnapshot? Take(ServedTable served)
    {
        if (!served.TryAcquire(out var lease))
            return null;
        using (lease)
            return new TableSnapshot(lease.Table.Spec, lease.Table.GetInfo());
    }
}
