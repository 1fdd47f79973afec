using System.Security.Cryptography;
using System.Text;
using Gear.Core.Schema;

namespace Gear.Core.Tables;

/// <summary>What a table snapshot's header says: the spec and the sizes of what it holds.</summary>
/// <param name="Spec">The table's spec.</param>
/// <param name="ItemCount">Live items.</param>
/// <param name="ClosedTrajectories">Stored (closed) trajectories.</param>
/// <param name="StoredSteps">Steps of the stored trajectories.</param>
/// <param name="StepDataBytes">Bytes of step data in the snapshot.</param>
/// <param name="LogSequence">The table's <see cref="Table.LogSequence"/>: the last logged mutation the snapshot includes.</param>
public sealed record TableSnapshotInfo(TableSpec Spec, int ItemCount, int ClosedTrajectories, long StoredSteps, long StepDataBytes, long LogSequence);

/// <summary>
/// The binary format of a table snapshot (little-endian), version 2:
/// magic "GEARSNP1"; version (int32); the spec (name, columns with dtype and shape, capacities, page steps,
/// granularity, selectors, priority exponent, max times sampled, rate limiter, remover seed); the summary
/// (items, closed trajectories, steps, step bytes, and from version 2 the log sequence); the table's counters, the rate limiter's counters and the
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

    /// <summary>The format version written. Version 1 (no log sequence) is still read, as sequence 0.</summary>
    public const int Version = 2;

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
        TableSpecCodec.Write(w, info.Spec);
        w.Write(info.ItemCount);
        w.Write(info.ClosedTrajectories);
        w.Write(info.StoredSteps);
        w.Write(info.StepDataBytes);
        w.Write(info.LogSequence);
    }

    internal static TableSnapshotInfo ReadHeader(BinaryReader r)
    {
        Span<byte> magic = stackalloc byte[8];
        r.BaseStream.ReadExactly(magic);
        if (!magic.SequenceEqual(Magic))
            throw new InvalidDataException("not a table snapshot (bad magic)");
        var version = r.ReadInt32();
        if (version is < 1 or > Version)
            throw new InvalidDataException($"snapshot format version {version} is not supported (this build reads {Version})");
        var spec = TableSpecCodec.Read(r);
        return new TableSnapshotInfo(spec, r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), version >= 2 ? r.ReadInt64() : 0);
    }
}
