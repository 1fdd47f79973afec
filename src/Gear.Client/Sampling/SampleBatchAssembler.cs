using System.Buffers;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Turns sample replies into <see cref="SampleBatch"/>es: one reply is wrapped as received; replies from
/// several shards are joined into pooled buffers with probabilities and weights of the combined table.
/// Replies are checked against the layout so that a view never reads past its bytes.
/// </summary>
internal sealed class SampleBatchAssembler(TableLayout layout)
{
    private readonly BatchShapeCache _shapes = new(layout);

    public TableLayout Layout => layout;

    /// <summary>A batch over one reply from <paramref name="shard"/>, its bytes used in place.</summary>
    public SampleBatch FromReply(SampleResponse reply, int shard)
    {
        var count = reply.BatchSize;
        var length = reply.WindowLength;
        Check(reply);
        var columns = new ReadOnlyMemory<byte>[layout.Columns.Count];
        for (var c = 0; c < columns.Length; c++)
            columns[c] = reply.Columns[c].Memory;
        var batch = new SampleBatch(layout, count, length, _shapes.For(count, length), columns, null, reply.Mask.Memory, null)
        {
            Sequence = (long)reply.Sequence,
            ItemCount = reply.ItemCount,
            SelectionMass = reply.SelectionMass,
        };
        Copy(reply.Keys, batch.KeysToFill);
        Copy(reply.TrajectoryKeys, batch.TrajectoryKeysToFill);
        Copy(reply.StartSteps, batch.StartStepsToFill);
        Copy(reply.Probabilities, batch.ProbabilitiesToFill);
        Copy(reply.ImportanceWeights, batch.WeightsToFill);
        batch.ShardsToFill.Fill(shard);
        return batch;
    }

    /// <summary>
    /// A batch over a reply decoded into a pooled buffer: the columns and mask are slices of that buffer, which
    /// the batch returns to the pool when disposed.
    /// </summary>
    public SampleBatch FromPooledReply(PooledSampleReply reply, int shard)
    {
        var count = reply.BatchSize;
        var length = reply.WindowLength;
        var columns = new ReadOnlyMemory<byte>[layout.Columns.Count];
        try
        {
            Check(count, length, reply.Columns.Count, c => reply.Columns[c].Length, reply.Mask.Length);
            for (var c = 0; c < columns.Length; c++)
                columns[c] = reply.Buffer.AsMemory(reply.Columns[c].Offset, reply.Columns[c].Length);
        }
        catch
        {
            reply.Return();
            throw;
        }
        var batch = new SampleBatch(layout, count, length, _shapes.For(count, length), columns, [reply.Buffer],
            reply.Buffer.AsMemory(reply.Mask.Offset, reply.Mask.Length), null)
        {
            Sequence = (long)reply.Sequence,
            ItemCount = reply.ItemCount,
            SelectionMass = reply.SelectionMass,
        };
        try
        {
            var bytes = reply.Buffer.AsSpan();
            SampleReplyDecoder.DecodeVarints(bytes, reply.Keys, batch.KeysToFill, static v => v, "keys");
            SampleReplyDecoder.DecodeVarints(bytes, reply.TrajectoryKeys, batch.TrajectoryKeysToFill, static v => v, "trajectory_keys");
            SampleReplyDecoder.DecodeVarints(bytes, reply.StartSteps, batch.StartStepsToFill, static v => (int)(long)v, "start_steps");
            SampleReplyDecoder.DecodeDoubles(bytes, reply.Probabilities, batch.ProbabilitiesToFill, "probabilities");
            SampleReplyDecoder.DecodeDoubles(bytes, reply.ImportanceWeights, batch.WeightsToFill, "importance_weights");
        }
        catch (InvalidDataException e)
        {
            batch.Dispose();
            throw Bad(e.Message);
        }
        batch.ShardsToFill.Fill(shard);
        return batch;
    }

    /// <summary>
    /// A batch over a data-plane frame's payload received into a pooled buffer (metadata, columns, mask, as
    /// <see cref="Gear.Protocol.DataPlane.BatchFrameHeader"/> lays them out); the batch returns the buffer to
    /// the pool when disposed. The header has been checked against the layout.
    /// </summary>
    public SampleBatch FromFrame(Gear.Protocol.DataPlane.BatchFrameHeader header, byte[] payload, int shard)
    {
        var count = header.Windows;
        var length = header.WindowLength;
        var columns = new ReadOnlyMemory<byte>[layout.Columns.Count];
        var at = header.MetadataBytes;
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = payload.AsMemory(at, (int)header.ColumnBytes[c]);
            at += (int)header.ColumnBytes[c];
        }
        var batch = new SampleBatch(layout, count, length, _shapes.For(count, length), columns, [payload], payload.AsMemory(at, (int)header.MaskBytes), null)
        {
            Sequence = (long)header.Sequence,
            ItemCount = header.ItemCount,
            SelectionMass = header.SelectionMass,
        };
        // Metadata arrays are raw little-endian, like the server that wrote them.
        var metadata = payload.AsSpan(0, header.MetadataBytes);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(metadata[..(8 * count)]).CopyTo(batch.KeysToFill);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(metadata.Slice(8 * count, 8 * count)).CopyTo(batch.TrajectoryKeysToFill);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(metadata.Slice(16 * count, 4 * count)).CopyTo(batch.StartStepsToFill);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(metadata.Slice(20 * count, 8 * count)).CopyTo(batch.ProbabilitiesToFill);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(metadata.Slice(28 * count, 8 * count)).CopyTo(batch.WeightsToFill);
        batch.ShardsToFill.Fill(shard);
        return batch;
    }

    /// <summary>Checks a data-plane frame header against the layout and the request before any buffer is sized from it.</summary>
    /// <exception cref="InvalidDataException">The frame does not fit.</exception>
    public void CheckFrame(Gear.Protocol.DataPlane.BatchFrameHeader header, int maxWindows, int windowLength)
    {
        if (header.Windows > maxWindows || header.WindowLength != windowLength)
            throw Bad($"a frame of {header.Windows} × {header.WindowLength} steps; at most {maxWindows} × {windowLength} were asked for");
        if (header.MetadataBytes != header.Windows * Gear.Protocol.DataPlane.BatchFrameHeader.MetadataBytesPerWindow)
            throw Bad($"a frame of {header.Windows} windows has {header.MetadataBytes} metadata bytes");
        Check(header.Windows, header.WindowLength, header.ColumnBytes.Length,
            c => header.ColumnBytes[c] <= int.MaxValue ? (int)header.ColumnBytes[c] : -1, header.MaskBytes <= int.MaxValue ? (int)header.MaskBytes : -1);
    }

    /// <summary>
    /// A batch joining runs of windows from several shards' batches (copied into pooled buffers), with
    /// probabilities and weights of the combined table. <paramref name="totalMass"/> and
    /// <paramref name="totalItems"/> are the combined table's Σ mass and Σ item count.
    /// </summary>
    public SampleBatch FromShardWindows(IReadOnlyList<ShardWindows> parts, double totalMass, long totalItems, double beta, int windowLength, long sequence)
    {
        var count = 0;
        foreach (var part in parts)
        {
            if (part.Batch.WindowLength != windowLength)
                throw Bad($"a shard replied with windows of {part.Batch.WindowLength} steps; {windowLength} were asked for");
            count += part.Count;
        }
        var steps = count * windowLength;
        var pooled = new byte[layout.Columns.Count][];
        var columns = new ReadOnlyMemory<byte>[pooled.Length];
        for (var c = 0; c < pooled.Length; c++)
        {
            var column = layout.Columns[c];
            var windowBytes = windowLength * column.StepBytes;
            pooled[c] = ArrayPool<byte>.Shared.Rent(Math.Max(1, steps * column.StepBytes));
            columns[c] = pooled[c].AsMemory(0, steps * column.StepBytes);
            var offset = 0;
            foreach (var part in parts)
            {
                part.Batch.ColumnBytes(column.Name).Slice(part.Start * windowBytes, part.Count * windowBytes).CopyTo(pooled[c].AsSpan(offset));
                offset += part.Count * windowBytes;
            }
        }
        var mask = ArrayPool<byte>.Shared.Rent(Math.Max(1, steps));
        var maskOffset = 0;
        foreach (var part in parts)
        {
            part.Batch.Mask.Slice(part.Start * windowLength, part.Count * windowLength).CopyTo(mask.AsSpan(maskOffset));
            maskOffset += part.Count * windowLength;
        }
        var batch = new SampleBatch(layout, count, windowLength, _shapes.For(count, windowLength), columns, pooled, mask.AsMemory(0, steps), mask)
        {
            Sequence = sequence,
            ItemCount = totalItems,
            SelectionMass = totalMass,
        };
        var at = 0;
        var probabilities = batch.ProbabilitiesToFill;
        foreach (var (source, start, n, shard) in parts)
        {
            source.Keys.Slice(start, n).CopyTo(batch.KeysToFill[at..]);
            source.TrajectoryKeys.Slice(start, n).CopyTo(batch.TrajectoryKeysToFill[at..]);
            source.StartSteps.Slice(start, n).CopyTo(batch.StartStepsToFill[at..]);
            batch.ShardsToFill.Slice(at, n).Fill(shard);
            // P(i) = P(shard) × P(i | shard), with P(shard) = mass_s / Σ mass: the probability in one table
            // holding every shard's items (Σ p^α splits the same way for prioritized and uniform tables).
            // mass_s is the shard's mass when it selected these windows.
            var shardProbability = totalMass > 0 ? source.SelectionMass / totalMass : 0;
            for (var i = 0; i < n; i++)
                probabilities[at + i] = shardProbability * source.Probabilities[start + i];
            at += n;
        }
        CombinedWeights.Compute(probabilities, beta, batch.WeightsToFill);
        return batch;
    }

    private static void Copy<T>(Google.Protobuf.Collections.RepeatedField<T> field, Span<T> destination)
    {
        for (var i = 0; i < destination.Length; i++)
            destination[i] = field[i];
    }

    private void Check(SampleResponse reply)
    {
        var count = reply.BatchSize;
        Check(count, reply.WindowLength, reply.Columns.Count, c => reply.Columns[c].Length, reply.Mask.Length);
        if (reply.Keys.Count != count || reply.TrajectoryKeys.Count != count ||
            reply.StartSteps.Count != count || reply.Probabilities.Count != count || reply.ImportanceWeights.Count != count)
            throw Bad($"a reply of {count} windows has per-window fields of another length");
    }

    /// <summary>Checks a reply's geometry and byte counts against the layout (per-window fields are checked as they are decoded).</summary>
    private void Check(int count, int length, int columnCount, Func<int, int> columnBytes, int maskBytes)
    {
        if (count < 0 || length < 1)
            throw Bad($"a reply has batch_size {count} and window_length {length}");
        if (columnCount != layout.Columns.Count)
            throw Bad($"a reply has {columnCount} columns; table '{layout.Name}' has {layout.Columns.Count} (was the table re-created with another spec?)");
        var steps = (long)count * length;
        for (var c = 0; c < layout.Columns.Count; c++)
        {
            if (columnBytes(c) != steps * layout.Columns[c].StepBytes)
                throw Bad($"column {layout.Columns[c].Description} has {columnBytes(c)} bytes in a reply of {count} × {length} steps; {steps * layout.Columns[c].StepBytes} expected");
        }
        if (maskBytes != steps)
            throw Bad($"a reply of {count} × {length} steps has a mask of {maskBytes} bytes");
    }

    private InvalidDataException Bad(string message) => new($"sample reply from table '{layout.Name}' does not fit its spec: {message}");
}
