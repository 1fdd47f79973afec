using Gear.Core.Storage;

namespace Gear.Benchmarks;

/// <summary>
/// The bandwidth reference every throughput is compared with: single-thread block copies of exactly the bytes
/// one operation moves, with the same cache situation as the operation. A sample reads from the table's arena
/// into one output batch that is reused, so its reference reads from a rotating offset in a buffer as large as
/// that arena into one fixed block. An insert reads one actor buffer that is reused and writes into the arena,
/// so its reference reads one fixed block and writes at a rotating offset. The buffer's size is the caller's:
/// the table's arena for the baseline, since last-level caches now reach hundreds of MiB (260 MiB on the CI
/// machine) and a fixed 256 MiB buffer sat mostly in cache while W1's 2.8 GB arena does not and W2's 97 MB
/// arena does.
/// </summary>
internal sealed unsafe class MemcpyReference : IDisposable
{
    private readonly NativeBuffer _arena;
    private readonly long _arenaBytes;
    private readonly NativeBuffer _block;
    private readonly long _blockBytes;
    private readonly bool _intoArena;
    private long _offset;

    /// <param name="blockBytes">Bytes one operation moves.</param>
    /// <param name="intoArena">True for inserts (block → arena), false for samples (arena → block).</param>
    /// <param name="arenaBytes">Bytes of the buffer the blocks rotate through; at least one block.</param>
    public MemcpyReference(long blockBytes, bool intoArena, long arenaBytes)
    {
        _arenaBytes = Math.Max(arenaBytes, blockBytes);
        _arena = new NativeBuffer(_arenaBytes);
        _blockBytes = blockBytes;
        _intoArena = intoArena;
        _block = new NativeBuffer(blockBytes);
        _block.Span.Fill(1);
        // Touch the arena once, as the table's arena is touched once by its fill.
        for (long at = 0; at < _arenaBytes; at += 4096)
            _arena.Pointer[at] = 1;
    }

    /// <summary>Copies one block of the operation's size.</summary>
    public void CopyBlock()
    {
        if (_offset + _blockBytes > _arenaBytes)
            _offset = 0;
        var arena = _arena.Pointer + _offset;
        if (_intoArena)
            Buffer.MemoryCopy(_block.Pointer, arena, _blockBytes, _blockBytes);
        else
            Buffer.MemoryCopy(arena, _block.Pointer, _blockBytes, _blockBytes);
        _offset += (_blockBytes + 4095) / 4096 * 4096;
    }

    public void Dispose()
    {
        _arena.Dispose();
        _block.Dispose();
    }
}
