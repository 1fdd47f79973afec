using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Gear.Protocol.DataPlane;

namespace Gear.Server.WriteAheadLog;

/// <summary>
/// One record of a table's log, framed and ready to write: payload length (uint32), CRC-32C of the payload
/// (uint32), then the payload: kind (byte), log sequence number (int64) and the kind's body (see
/// <see cref="LogSegmentFormat"/>). The bytes live in a pooled buffer that goes back to the pool once the
/// record is written (or dropped). <see cref="Durable"/> completes when the record is as durable as the log's
/// fsync policy makes it.
/// </summary>
public sealed class LogRecord
{
    /// <summary>Bytes before the payload: its length and checksum.</summary>
    public const int FrameBytes = 8;

    /// <summary>Bytes of the payload before a kind's body: kind and sequence.</summary>
    public const int PayloadHeaderBytes = 9;

    /// <summary>Bytes of a commit payload's fixed part after its header: original key, step count, priority count.</summary>
    internal const int CommitFixedBytes = 16;

    private readonly TaskCompletionSource _durable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _buffer;
    private readonly int _length;
    private readonly int _stepDataOffset;

    private LogRecord(LogRecordKind kind, int payloadBytes, int stepDataOffset)
    {
        if (payloadBytes > Array.MaxLength - FrameBytes)
            throw new InvalidOperationException($"a log record of {payloadBytes} bytes is larger than one buffer can hold");
        _length = FrameBytes + payloadBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(_length);
        _buffer[FrameBytes] = (byte)kind;
        _stepDataOffset = stepDataOffset;
        Kind = kind;
    }

    /// <summary>The record's kind.</summary>
    public LogRecordKind Kind { get; }

    /// <summary>The log sequence number, once sealed.</summary>
    public long Sequence { get; private set; }

    /// <summary>Completes when the record is durable; faults when the log could not write it.</summary>
    public Task Durable => _durable.Task;

    /// <summary>
    /// A commit record with room for <paramref name="stepDataBytes"/> bytes of steps, which the caller fills
    /// through <see cref="StepData"/> before <see cref="Seal"/>.
    /// </summary>
    public static LogRecord Commit(ulong trajectoryKey, int stepCount, ReadOnlySpan<double> priorities, long stepDataBytes)
    {
        var fixedBytes = PayloadHeaderBytes + CommitFixedBytes + priorities.Length * sizeof(double);
        var record = new LogRecord(LogRecordKind.Commit, checked((int)(fixedBytes + stepDataBytes)), FrameBytes + fixedBytes);
        var body = record._buffer.AsSpan(FrameBytes + PayloadHeaderBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(body, trajectoryKey);
        BinaryPrimitives.WriteInt32LittleEndian(body[8..], stepCount);
        BinaryPrimitives.WriteInt32LittleEndian(body[12..], priorities.Length);
        MemoryMarshal.AsBytes(priorities).CopyTo(body[CommitFixedBytes..]); // little-endian, as every platform .NET runs Gear on
        return record;
    }

    /// <summary>A delete record of <paramref name="keys"/>, sealed with <paramref name="sequence"/>.</summary>
    public static LogRecord Delete(long sequence, ReadOnlySpan<ulong> keys)
    {
        var record = new LogRecord(LogRecordKind.Delete, PayloadHeaderBytes + 4 + keys.Length * sizeof(ulong), 0);
        var body = record._buffer.AsSpan(FrameBytes + PayloadHeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(body, keys.Length);
        MemoryMarshal.AsBytes(keys).CopyTo(body[4..]);
        return record.Seal(sequence);
    }

    /// <summary>A reset record, sealed with <paramref name="sequence"/>.</summary>
    public static LogRecord Reset(long sequence) => new LogRecord(LogRecordKind.Reset, PayloadHeaderBytes, 0).Seal(sequence);

    /// <summary>Where a commit record's steps go: each column's steps contiguous, columns in table order.</summary>
    public Span<byte> StepData => Kind == LogRecordKind.Commit
        ? Buffer.AsSpan(_stepDataOffset, _length - _stepDataOffset)
        : throw new InvalidOperationException("only commit records hold steps");

    /// <summary>The framed record as it goes to the file.</summary>
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, _length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(LogRecord));

    /// <summary>Writes the sequence number, the length and the checksum; the record is then ready to append.</summary>
    public LogRecord Seal(long sequence)
    {
        var buffer = Buffer;
        Sequence = sequence;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(FrameBytes + 1), sequence);
        var payload = buffer.AsSpan(FrameBytes, _length - FrameBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), FrameChecksum.Compute(payload));
        return this;
    }

    /// <summary>Returns the buffer and completes <see cref="Durable"/> (faulted with <paramref name="error"/> if given).</summary>
    internal void Complete(Exception? error)
    {
        Release();
        if (error is null)
            _durable.TrySetResult();
        else
            _durable.TrySetException(error);
    }

    /// <summary>Returns the buffer of a record that will not be appended (its commit failed).</summary>
    public void Release()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
