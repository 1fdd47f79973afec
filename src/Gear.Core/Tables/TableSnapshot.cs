using System.Security.Cryptography;
using System.Text;
using Gear.Core.RateLimiting;
using Gear.Core.Schema;
using Gear.Core.Selection;

namespace Gear.Core.Tables;

/// <summary>What a table snapshot's header says: the spec and the sizes of what it holds.</summary>
/// <param name="Spec">The table's spec.</param>
/// <param name="ItemCount">Live items.</param>
/// <param name="ClosedTrajectories">Stored (closed) trajectories.</param>
/// <param name="StoredSteps">Steps of the stored trajectories.</param>
/// <param name="StepDataBytes">Bytes of step data in the snapshot.</param>
public sealed record TableSnapshotInfo(TableSpec Spec, int ItemCount, int ClosedTrajectories, long StoredSteps, long StepDataBytes);

/// <summary>
/// The binary format of a table snapshot (little-endian), version 1:
/// magic "GEARSNP1"; version (int32); the spec (name, columns with dtype and shape, capacities, page steps,
/// granularity, selectors, priority exponent, max times sampled, rate limiter, remover seed); the summary
/// (items, closed trajectories, steps, step bytes); the table's counters, the rate limiter's counters and the
/// remover generator's state; every trajectory slot's generation, then each closed trajectory (slot,
/// length, live items, page ids); every item slot's generation, then each live item (slot, trajectory, step,
/// times sampled, the sampler's and the remover's stored priority or weight); each selector's re-insertion
/// order and mark (or -1 where order does not matter); the used steps of every closed trajectory, column by
/// column, page by page; finally the SHA-256 of every byte before it (32 bytes).
/// </summary>
public static class TableSnapshot
{
    /// <summary>The first eight bytes of every snapshot.</summary>
    public static ReadOnlySpan<byte> Magic => "GEARSNP1"u8;

    /// <summary>The format version written.</summary>
    public const int Version = 1;

    /// <summary>Bytes of the trailing checksum.</summary>
    public const int ChecksumBytes = 32;

    /// <summary>
    /// Checks a snapshot's length and checksum over the whole (seekable) stream and reads its header.
    /// Leaves the stream at its end.
    /// </summary>
    /// <exception cref="InvalidDataException">Truncated, corrupt, or another version; the message says which.</exception>
    public static TableSnapshotInfo Verify(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var start = source.Position;
        var length = source.Length - start;
        if (length < Magic.Length + 4 + ChecksumBytes)
            throw new InvalidDataException($"truncated: {length} bytes is shorter than any snapshot");
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[1 << 20];
            var left = length - ChecksumBytes;
            while (left > 0)
            {
                var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0)
                    throw new InvalidDataException("truncated while reading");
                hash.AppendData(buffer, 0, read);
                left -= read;
            }
            var expected = new byte[ChecksumBytes];
            source.ReadExactly(expected);
            if (!hash.GetHashAndReset().AsSpan().SequenceEqual(expected))
                throw new InvalidDataException("checksum mismatch: the snapshot is corrupt or truncated");
        }
        var end = source.Position;
        source.Position = start;
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        try
        {
            return ReadHeader(reader);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"bad header: {e.Message}", e);
        }
        finally
        {
            source.Position = end;
        }
    }

    /// <summary>Reads just the header of a snapshot (no checksum check); leaves the stream after it.</summary>
    /// <exception cref="InvalidDataException">Not a snapshot of this version.</exception>
    public static TableSnapshotInfo ReadHeaderOnly(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        try
        {
            return ReadHeader(reader);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"bad header: {e.Message}", e);
        }
    }

    internal static void WriteHeader(BinaryWriter w, TableSnapshotInfo info)
    {
        w.Write(Magic);
        w.Write(Version);
        var spec = info.Spec;
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
        w.Write(info.ItemCount);
        w.Write(info.ClosedTrajectories);
        w.Write(info.StoredSteps);
        w.Write(info.StepDataBytes);
    }

    internal static TableSnapshotInfo ReadHeader(BinaryReader r)
    {
        Span<byte> magic = stackalloc byte[8];
        r.BaseStream.ReadExactly(magic);
        if (!magic.SequenceEqual(Magic))
            throw new InvalidDataException("not a table snapshot (bad magic)");
        var version = r.ReadInt32();
        if (version != Version)
            throw new InvalidDataException($"snapshot format version {version} is not supported (this build reads {Version})");
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
        var spec = new TableSpec
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
        return new TableSnapshotInfo(spec, r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64());
    }
}
