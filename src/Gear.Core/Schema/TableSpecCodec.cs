using Gear.Core.Errors;
using Gear.Core.RateLimiting;
using Gear.Core.Selection;

namespace Gear.Core.Schema;

/// <summary>
/// A table spec in binary (little-endian, BinaryWriter strings): name, columns (name, dtype, shape),
/// capacities, page steps, granularity, selectors, priority exponent, max times sampled, rate limiter and
/// remover seed. Table snapshots and write-ahead log segments both begin with one, so either can recreate its
/// table.
/// </summary>
public static class TableSpecCodec
{
    /// <summary>Writes <paramref name="spec"/>.</summary>
    public static void Write(BinaryWriter w, TableSpec spec)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(spec);
        w.Write(spec.Name);
        w.Write(spec.Columns.Count);
        foreach (var column in spec.Columns)
        {
            w.Write(column.Name);
            w.Write((int)column.DType);
            w.Write(column.Shape.Count);
            foreach (var dim in column.Shape)
                w.Write(dim);
        }
        w.Write(spec.HostCapacityBytes);
        w.Write(spec.DeviceCapacityBytes);
        w.Write(spec.MaxTrajectories);
        w.Write(spec.PageSteps);
        w.Write((int)spec.Granularity);
        w.Write((int)spec.Sampler);
        w.Write((int)spec.Remover);
        w.Write(spec.PriorityExponent);
        w.Write(spec.MaxTimesSampled);
        w.Write(spec.RateLimiter.SamplesPerInsert);
        w.Write(spec.RateLimiter.MinSizeToSample);
        w.Write(spec.RateLimiter.MinDiff);
        w.Write(spec.RateLimiter.MaxDiff);
        w.Write(spec.RemoverSeed);
    }

    /// <summary>Reads a spec written by <see cref="Write"/> (not validated: the table constructor does that).</summary>
    /// <exception cref="InvalidDataException">Counts out of range, a malformed string, or a column or rate limiter that cannot exist.</exception>
    /// <exception cref="EndOfStreamException">Truncated.</exception>
    public static TableSpec Read(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        try
        {
            return ReadFields(r);
        }
        // Found by fuzzing: a corrupt string length (FormatException) or a column or rate limiter whose
        // constructor refuses the values read (GearException) escaped the readers of snapshots and logs,
        // which promise InvalidDataException for bad files.
        catch (Exception e) when (e is FormatException or GearException)
        {
            throw new InvalidDataException($"bad table spec: {e.Message}", e);
        }
    }

    private static TableSpec ReadFields(BinaryReader r)
    {
        var name = r.ReadString();
        var columnCount = r.ReadInt32();
        if (columnCount is < 0 or > 4096)
            throw new InvalidDataException($"bad column count {columnCount}");
        var columns = new ColumnSpec[columnCount];
        for (var c = 0; c < columnCount; c++)
        {
            var columnName = r.ReadString();
            var dtype = (DType)r.ReadInt32();
            var rank = r.ReadInt32();
            if (rank is < 0 or > 64)
                throw new InvalidDataException($"bad rank {rank}");
            var shape = new int[rank];
            for (var d = 0; d < rank; d++)
                shape[d] = r.ReadInt32();
            columns[c] = new ColumnSpec(columnName, dtype, shape);
        }
        return new TableSpec
        {
            Name = name,
            Columns = columns,
            HostCapacityBytes = r.ReadInt64(),
            DeviceCapacityBytes = r.ReadInt64(),
            MaxTrajectories = r.ReadInt32(),
            PageSteps = r.ReadInt32(),
            Granularity = (ItemGranularity)r.ReadInt32(),
            Sampler = (SelectorKind)r.ReadInt32(),
            Remover = (SelectorKind)r.ReadInt32(),
            PriorityExponent = r.ReadDouble(),
            MaxTimesSampled = r.ReadInt32(),
            RateLimiter = new RateLimiterSpec(r.ReadDouble(), r.ReadInt64(), r.ReadDouble(), r.ReadDouble()),
            RemoverSeed = r.ReadUInt64(),
        };
    }
}
