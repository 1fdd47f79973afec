using Gear.Core.Tables;
using Gear.Server.Progress;
using Microsoft.Extensions.Logging;

namespace Gear.Server.WriteAheadLog;

/// <summary>
/// Replays a table's log over the table as its checkpoint left it: every record numbered after the table's
/// <see cref="Table.LogSequence"/>, in sequence order (the order the table applied them, which can differ from
/// the order they reached the log when several actors commit at once). Commits come back with new keys; a
/// logged delete names the key its item had when committed, so deletes are mapped to the new keys.
/// </summary>
public static class LogReplay
{
    /// <summary>
    /// Replays <paramref name="segments"/> (paths, in segment order) into <paramref name="table"/>. Returns each
    /// segment's highest sequence number (for pruning later) and what was applied.
    /// </summary>
    /// <exception cref="InvalidDataException">A segment belongs to another table or a record does not fit the table.</exception>
    public static LogReplayResult Replay(Table table, IReadOnlyList<string> segments, ILogger logger, ProgressDisplay? display = null)
    {
        var readers = new List<LogSegmentReader>();
        try
        {
            var after = table.LogSequence;
            var pending = new List<PendingRecord>();
            var maxima = new Dictionary<int, long>();
            long skipped = 0;
            foreach (var path in segments)
            {
                var reader = LogSegmentReader.Open(path);
                readers.Add(reader);
                RequireSameLayout(reader, table);
                long max = 0;
                while (reader.TryReadNext(out var offset, out var payload))
                {
                    var (_, sequence) = LogSegmentFormat.ReadPayloadHeader(payload.Span);
                    max = Math.Max(max, sequence);
                    if (sequence > after)
                        pending.Add(new PendingRecord(sequence, readers.Count - 1, offset));
                    else
                        skipped++;
                }
                if (reader.StopReason is { } reason)
                    logger.LogWarning("write-ahead log of table {Table}: {Reason}; the records after it were never acknowledged", table.Name, reason);
                maxima[LogSegmentFormat.NumberOf(Path.GetFileName(path)) ?? throw new ArgumentException($"{path} is not a segment file name")] = max;
            }

            pending.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            var keys = new Dictionary<ulong, ulong>();
            var counts = new LogReplayCounts();
            using var progress = (display ?? ProgressDisplay.None).Start($"replay of table {table.Name}'s log", pending.Count, ProgressUnit.Records);
            for (var i = 0; i < pending.Count; i++)
            {
                var record = pending[i];
                Apply(table, readers[record.Segment].ReadAt(record.Offset), keys, ref counts);
                progress.Report(i + 1);
            }
            return new LogReplayResult(maxima, counts with { Skipped = skipped });
        }
        finally
        {
            foreach (var reader in readers)
                reader.Dispose();
        }
    }

    private static void RequireSameLayout(LogSegmentReader reader, Table table)
    {
        var logged = reader.Spec;
        var same = logged.Name == table.Name && logged.Columns.Count == table.Spec.Columns.Count
            && logged.Columns.Zip(table.Spec.Columns).All(p => p.First.Name == p.Second.Name && p.First.StepBytes == p.Second.StepBytes);
        if (!same)
            throw new InvalidDataException($"{reader.Path}: logs table '{logged.Name}' with columns ({string.Join(", ", logged.Columns)}), " +
                $"which does not match table '{table.Name}' ({string.Join(", ", table.Spec.Columns)})");
    }

    private static void Apply(Table table, ReadOnlyMemory<byte> payload, Dictionary<ulong, ulong> keys, ref LogReplayCounts counts)
    {
        var (kind, sequence) = LogSegmentFormat.ReadPayloadHeader(payload.Span);
        switch (kind)
        {
            case LogRecordKind.Commit:
                var commit = LogSegmentFormat.ReadCommit(payload, table.Spec);
                keys[commit.Key] = table.CommitRecovered(commit.StepCount, commit.Columns, commit.Priorities, sequence);
                counts.Commits++;
                break;
            case LogRecordKind.Delete:
                var logged = LogSegmentFormat.ReadDelete(payload.Span);
                for (var k = 0; k < logged.Length; k++)
                    logged[k] = keys.GetValueOrDefault(logged[k], logged[k]);
                table.Delete(logged);
                table.AdvanceLogSequence(sequence);
                counts.Deletes++;
                break;
            case LogRecordKind.Reset:
                table.Reset();
                table.AdvanceLogSequence(sequence);
                counts.Resets++;
                break;
            default:
                throw new InvalidDataException($"record {sequence} of table '{table.Name}' has unknown kind {(int)kind}");
        }
    }

    private readonly record struct PendingRecord(long Sequence, int Segment, long Offset);
}

/// <summary>What a replay applied.</summary>
/// <param name="Commits">Commits re-applied.</param>
/// <param name="Deletes">Delete records re-applied.</param>
/// <param name="Resets">Resets re-applied.</param>
/// <param name="Skipped">Records the checkpoint already held.</param>
public record struct LogReplayCounts(long Commits, long Deletes, long Resets, long Skipped);

/// <summary>The outcome of a replay.</summary>
/// <param name="SegmentMaxima">Each segment's number and highest sequence number.</param>
/// <param name="Counts">What was applied.</param>
public sealed record LogReplayResult(IReadOnlyDictionary<int, long> SegmentMaxima, LogReplayCounts Counts);
