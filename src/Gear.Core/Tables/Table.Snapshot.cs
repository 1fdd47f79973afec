using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Gear.Core.Compute;
using Gear.Core.RateLimiting;
using Gear.Core.Schema;
using Gear.Core.Selection;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Writes consistent snapshots of several tables, one stream each: every table's lock is taken (in
    /// ordinal name order, so two callers cannot deadlock), all are written, then all are released, so the
    /// snapshots describe one point in time. Inserts, samples and updates wait meanwhile. Returns how long
    /// the locks were held. See <see cref="TableSnapshot"/> for the format.
    /// </summary>
    public static TimeSpan WriteSnapshots(IReadOnlyList<Table> tables, IReadOnlyList<Stream> destinations)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(destinations);
        if (tables.Count != destinations.Count)
            throw new ArgumentException($"{tables.Count} tables but {destinations.Count} streams");
        foreach (var destination in destinations)
        {
            if (!destination.CanSeek || !destination.CanRead || !destination.CanWrite)
                throw new ArgumentException("snapshot streams must be readable, writable and seekable (the checksum is computed after the locks are released)");
        }
        var starts = destinations.Select(d => d.Position).ToArray();
        var order = Enumerable.Range(0, tables.Count).OrderBy(i => tables[i].Name, StringComparer.Ordinal).ToArray();
        var taken = 0;
        var started = 0L;
        try
        {
            foreach (var i in order)
            {
                Monitor.Enter(tables[i]._sync);
                taken++;
            }
            started = Stopwatch.GetTimestamp();
            foreach (var i in order)
                tables[i].WriteSnapshotLocked(destinations[i]);
        }
        finally
        {
            for (var k = taken - 1; k >= 0; k--)
                Monitor.Exit(tables[order[k]]._sync);
        }
        var pause = Stopwatch.GetElapsedTime(started);
        // Hashing reads back what was written (from the page cache, for files): outside the pause.
        for (var i = 0; i < destinations.Count; i++)
            AppendChecksum(destinations[i], starts[i]);
        return pause;
    }

    private static void AppendChecksum(Stream stream, long start)
    {
        stream.Flush();
        var end = stream.Position;
        stream.Position = start;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (var left = end - start; left > 0;)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
                throw new IOException("the snapshot stream ended before what was written to it");
            hash.AppendData(buffer, 0, read);
            left -= read;
        }
        stream.Position = end;
        stream.Write(hash.GetHashAndReset());
    }

    /// <summary>Writes a snapshot of this table to <paramref name="destination"/> (see <see cref="WriteSnapshots"/>).</summary>
    public void WriteSnapshot(Stream destination) => WriteSnapshots([this], [destination]);

    /// <summary>
    /// Reads a snapshot written by <see cref="WriteSnapshot"/> into a new table on <paramref name="backend"/>:
    /// the checksum is verified over the whole stream first, so a corrupt or truncated snapshot is refused
    /// before anything is allocated. Keys, priorities, times sampled, insertion order, selector, rate-limiter
    /// and remover-random state are as they were; open trajectories are not in snapshots.
    /// </summary>
    /// <exception cref="InvalidDataException">The snapshot is corrupt, truncated or of another version.</exception>
    public static Table ReadSnapshot(Stream source, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(backend);
        var start = source.Position;
        TableSnapshot.Verify(source);
        source.Position = start;
        var buffered = new BufferedStream(source, 1 << 20); // not disposed: that would close the caller's stream
        using var reader = new BinaryReader(buffered, Encoding.UTF8, leaveOpen: true);
        try
        {
            var header = TableSnapshot.ReadHeader(reader);
            Table table;
            try
            {
                table = new Table(header.Spec, backend);
            }
            catch (OutOfMemoryException e)
            {
                // A spec whose arena or slot arrays cannot be allocated here (found by fuzzing: a corrupt
                // capacity) is a snapshot this process cannot load, which callers handle as bad data.
                throw new InvalidDataException(
                    $"the snapshot's table '{header.Spec.Name}' needs more memory than can be allocated (host_capacity_bytes {header.Spec.HostCapacityBytes})", e);
            }
            try
            {
                table.RestoreBody(reader, buffered, header);
                return table;
            }
            catch
            {
                table.Dispose();
                throw;
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the snapshot is truncated", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Errors.GearException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"the snapshot is inconsistent: {e.Message}", e);
        }
    }

    private void WriteSnapshotLocked(Stream destination)
    {
        ThrowIfDisposed();
        // Not disposed: that would close the destination. Flushed at the end.
        var buffered = new BufferedStream(destination, 1 << 20);
        using var w = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true);

        var closed = new List<int>();
        long steps = 0;
        for (var slot = 0; slot < _trajectories.Capacity; slot++)
        {
            if (_trajectories.States[slot] != TrajectoryState.Closed)
                continue;
            closed.Add(slot);
            steps += _trajectories.Lengths[slot];
        }
        TableSnapshot.WriteHeader(w, new TableSnapshotInfo(Spec, _items.Count, closed.Count, steps, steps * _storage.BytesPerPage / Spec.PageSteps, _logSequence));

        foreach (var counter in (long[])[_itemsInserted, _windowsSampled, _itemsEvicted, _itemsRetired, _itemsDeleted, _ignoredPriorityUpdates, _ignoredDeletes])
            w.Write(counter);
        var limiter = _limiter.Snapshot();
        w.Write(limiter.Inserts);
        w.Write(limiter.Samples);
        w.Write(limiter.Deletes);
        var (s0, s1, s2, s3) = _removerRandom.GetState();
        w.Write(s0);
        w.Write(s1);
        w.Write(s2);
        w.Write(s3);

        w.Write(_trajectories.Capacity);
        for (var slot = 0; slot < _trajectories.Capacity; slot++)
            w.Write(_trajectories.Generations[slot]);
        foreach (var slot in closed)
        {
            w.Write(slot);
            w.Write(_trajectories.Lengths[slot]);
            w.Write(_trajectories.LiveItems[slot]);
            var pageCount = _trajectories.PageCounts[slot];
            w.Write(pageCount);
            for (var i = 0; i < pageCount; i++)
                w.Write(_trajectories.PageTables[slot][i]);
        }

        w.Write(_items.Capacity);
        for (var slot = 0; slot < _items.Capacity; slot++)
            w.Write(_items.GenerationOf(slot));
        for (var slot = 0; slot < _items.Capacity; slot++)
        {
            if (!_items.IsLive(slot))
                continue;
            ref var record = ref _items[slot];
            w.Write(slot);
            w.Write(record.Trajectory);
            w.Write(record.Step);
            w.Write(record.TimesSampled);
            w.Write(StoredValue(_sampler, slot));
            w.Write(StoredValue(_remover, slot));
        }
        WriteOrder(w, _sampler);
        WriteOrder(w, _remover);
        w.Flush();

        // Step data: only the steps of stored trajectories, column by column, page by page.
        foreach (var slot in closed)
            CopyPages(slot, buffered, read: null);
        buffered.Flush();
    }

    /// <summary>Copies a trajectory's used steps to <paramref name="write"/>, or from <paramref name="read"/>.</summary>
    private unsafe void CopyPages(int slot, Stream? write, Stream? read)
    {
        var length = _trajectories.Lengths[slot];
        var pages = _trajectories.PageTables[slot];
        for (var column = 0; column < _storage.ColumnCount; column++)
        {
            var stepBytes = (long)_storage.StepBytes(column);
            for (var first = 0; first < length; first += Spec.PageSteps)
            {
                var steps = Math.Min(Spec.PageSteps, length - first);
                var bytes = steps * stepBytes;
                var page = pages[first >> _storage.PageShift];
                var address = _storage.StepAddress(column, page, 0);
                for (long done = 0; done < bytes;)
                {
                    var chunk = (int)Math.Min(bytes - done, 1 << 30);
                    if (write != null)
                        write.Write(new ReadOnlySpan<byte>(address + done, chunk));
                    else
                        read!.ReadExactly(new Span<byte>(address + done, chunk));
                    done += chunk;
                }
                if (read != null)
                    _storage.NotifyWritten(column, page, 0, steps);
            }
        }
    }

    private static double StoredValue(IItemSelector selector, int slot) =>
        selector is ISnapshotWeights weights ? weights.GetStored(slot)
        : selector.TryGetPriority(slot, out var priority) ? priority : 0;

    private static void WriteOrder(BinaryWriter w, IItemSelector selector)
    {
        if (selector is not ISnapshotOrder ordered)
        {
            w.Write(-1);
            return;
        }
        var slots = ordered.RestoreOrder(out var mark);
        w.Write(slots.Length);
        foreach (var slot in slots)
            w.Write(slot);
        w.Write(mark);
    }

    private void RestoreBody(BinaryReader r, Stream data, TableSnapshotInfo header)
    {
        // The counts size arrays below: a negative one threw OverflowException and a huge one could exhaust
        // memory (found by fuzzing), so they are held to the table's capacities first.
        if ((uint)header.ClosedTrajectories > (uint)_trajectories.Capacity)
            throw new InvalidDataException($"{header.ClosedTrajectories} closed trajectories do not fit {_trajectories.Capacity} trajectory slots");
        if ((uint)header.ItemCount > (uint)_items.Capacity)
            throw new InvalidDataException($"{header.ItemCount} items do not fit {_items.Capacity} item slots");
        _logSequence = header.LogSequence;
        _itemsInserted = r.ReadInt64();
        _windowsSampled = r.ReadInt64();
        _itemsEvicted = r.ReadInt64();
        _itemsRetired = r.ReadInt64();
        _itemsDeleted = r.ReadInt64();
        _ignoredPriorityUpdates = r.ReadInt64();
        _ignoredDeletes = r.ReadInt64();
        _limiter.RestoreCounters(r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        _removerRandom.SetState((r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()));

        Expect(r.ReadInt32(), _trajectories.Capacity, "trajectory slots");
        for (var slot = 0; slot < _trajectories.Capacity; slot++)
            _trajectories.Generations[slot] = r.ReadUInt32();
        var closed = new int[header.ClosedTrajectories];
        var usedPages = new bool[_storage.PageCount];
        for (var i = 0; i < closed.Length; i++)
        {
            var slot = r.ReadInt32();
            if ((uint)slot >= (uint)_trajectories.Capacity || _trajectories.States[slot] != TrajectoryState.Free)
                throw new InvalidDataException($"trajectory slot {slot} is out of range or repeated");
            closed[i] = slot;
            var length = r.ReadInt32();
            var live = r.ReadInt32();
            var pageCount = r.ReadInt32();
            if (length < 1 || live < 0 || pageCount != (int)(((long)length + Spec.PageSteps - 1) >> _storage.PageShift))
                throw new InvalidDataException($"trajectory slot {slot} has length {length} and {pageCount} pages");
            for (var p = 0; p < pageCount; p++)
            {
                var page = r.ReadInt32();
                if ((uint)page >= (uint)usedPages.Length || usedPages[page])
                    throw new InvalidDataException($"page {page} is out of range or owned twice");
                usedPages[page] = true;
                _trajectories.AddPage(slot, page);
            }
            _trajectories.Lengths[slot] = length;
            _trajectories.LiveItems[slot] = live;
            _trajectories.States[slot] = TrajectoryState.Closed;
        }
        _trajectories.RestoreFreeList();
        _storage.RestoreUsedPages(usedPages);

        Expect(r.ReadInt32(), _items.Capacity, "item slots");
        for (var slot = 0; slot < _items.Capacity; slot++)
            _items.RestoreGeneration(slot, r.ReadUInt32());
        var samplerValues = new double[_items.Capacity];
        var removerValues = new double[_items.Capacity];
        var liveSlots = new int[header.ItemCount];
        for (var i = 0; i < liveSlots.Length; i++)
        {
            var slot = r.ReadInt32();
            if ((uint)slot >= (uint)_items.Capacity || _items.IsLive(slot) || (i > 0 && slot <= liveSlots[i - 1]))
                throw new InvalidDataException($"item slot {slot} is out of range or out of order");
            var trajectory = r.ReadInt32();
            if ((uint)trajectory >= (uint)_trajectories.Capacity || _trajectories.States[trajectory] != TrajectoryState.Closed)
                throw new InvalidDataException($"item slot {slot} names trajectory slot {trajectory}, which is not stored");
            liveSlots[i] = slot;
            _items.Restore(slot, new ItemRecord
            {
                Trajectory = trajectory,
                Step = r.ReadInt32(),
                TimesSampled = r.ReadInt32(),
            });
            samplerValues[slot] = r.ReadDouble();
            removerValues[slot] = r.ReadDouble();
        }
        RestoreSelector(r, _sampler, liveSlots, samplerValues);
        RestoreSelector(r, _remover, liveSlots, removerValues);

        foreach (var slot in closed)
            CopyPages(slot, write: null, read: data);
    }

    private void RestoreSelector(BinaryReader r, IItemSelector selector, int[] liveSlots, double[] values)
    {
        var count = r.ReadInt32();
        int[] order;
        var mark = 0;
        if (count < 0)
            order = liveSlots;
        else
        {
            if (count != liveSlots.Length)
                throw new InvalidDataException($"a selector holds {count} items but the table has {liveSlots.Length}");
            order = new int[count];
            for (var i = 0; i < count; i++)
                order[i] = r.ReadInt32();
            mark = r.ReadInt32();
        }
        if ((count < 0) != selector is not ISnapshotOrder)
            throw new InvalidDataException("the selector state does not match the selector kind");
        foreach (var slot in order)
        {
            if ((uint)slot >= (uint)_items.Capacity || !_items.IsLive(slot))
                throw new InvalidDataException($"a selector holds slot {slot}, which has no item");
            if (selector is ISnapshotWeights weights)
                weights.InsertStored(slot, values[slot]);
            else
                selector.Insert(slot, values[slot]);
        }
        (selector as ISnapshotOrder)?.RestoreMark(mark);
    }

    private static void Expect(int actual, int expected, string what)
    {
        if (actual != expected)
            throw new InvalidDataException($"the snapshot has {actual} {what} but its spec gives {expected}");
    }
}
