using System.Buffers;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

/// <summary>
/// The column buffers of one append, whatever holds them: contiguous memory (an actor's arrays) or a sequence of
/// segments (a request's bytes where the network left them, so that the server copies them once, into pages).
/// </summary>
internal interface IAppendColumns
{
    /// <summary>How many column buffers were given.</summary>
    int Count { get; }

    /// <summary>The bytes of column <paramref name="column"/>.</summary>
    ReadOnlySequence<byte> this[int column] { get; }
}

/// <summary>Columns in contiguous buffers.</summary>
internal readonly ref struct MemoryColumns(ReadOnlySpan<ReadOnlyMemory<byte>> columns) : IAppendColumns
{
    private readonly ReadOnlySpan<ReadOnlyMemory<byte>> _columns = columns;

    public int Count => _columns.Length;

    public ReadOnlySequence<byte> this[int column] => new(_columns[column]);
}

/// <summary>Columns in segmented buffers.</summary>
internal readonly ref struct SequenceColumns(ReadOnlySpan<ReadOnlySequence<byte>> columns) : IAppendColumns
{
    private readonly ReadOnlySpan<ReadOnlySequence<byte>> _columns = columns;

    public int Count => _columns.Length;

    public ReadOnlySequence<byte> this[int column] => _columns[column];
}

/// <summary>
/// Reads one column's bytes front to back, segment by segment, into the page runs an append writes: a run may
/// take the end of one segment and the start of the next.
/// </summary>
internal unsafe ref struct ColumnReader(ReadOnlySequence<byte> source)
{
    private readonly ReadOnlySequence<byte> _source = source;
    private SequencePosition _next = source.Start;
    private ReadOnlyMemory<byte> _unread;

    /// <summary>
    /// Copies the next <paramref name="bytes"/> bytes to <paramref name="destination"/> with
    /// <see cref="StreamingCopy"/>: the caller fences once after its last copy.
    /// </summary>
    public void CopyTo(byte* destination, int bytes)
    {
        while (bytes > 0)
        {
            while (_unread.IsEmpty)
            {
                if (!_source.TryGet(ref _next, out _unread))
                    throw new InvalidOperationException("a column ended before the bytes its length promised");
            }
            var piece = Math.Min(bytes, _unread.Length);
            fixed (byte* from = _unread.Span)
                StreamingCopy.Copy(from, destination, (nuint)piece);
            _unread = _unread[piece..];
            destination += piece;
            bytes -= piece;
        }
    }
}
