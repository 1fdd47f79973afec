using Gear.Core.Storage;

namespace Gear.Benchmarks;

/// <summary>
/// The bandwidth reference every throughput is compared with: single-thread block copies of a batch's bytes
/// between two buffers far larger than the caches, at a rotating offset so that neither side stays cached
/// (as the table's arena does not).
/// </summary>
internal sealed unsafe class MemcpyReference : IDisposable
{
    private const long BufferBytes = 256L << 20;
    private readonly NativeBuffer _source = new(BufferBytes);
    private readonly NativeBuffer _destination = new(BufferBytes);
    private readonly long _blockBytes;
    private long _offset;

    public MemcpyReference(long blockBytes)
    {
        _blockBytes = blockBytes;
        // Touch both buffers once, as the table's arena is touched once by its fill.
        for (long at = 0; at < BufferBytes; at += 4096)
        {
            _source.Pointer[at] = 1;
            _destination.Pointer[at] = 0;
        }
    }

    /// <summary>Copies one block of the batch's size.</summary>
    public void CopyBlock()
    {
        if (_offset + _blockBytes > BufferBytes)
            _offset = 0;
        Buffer.MemoryCopy(_source.Pointer + _offset, _destination.Pointer + _offset, _blockBytes, _blockBytes);
        _offset += (_blockBytes + 4095) / 4096 * 4096;
    }

    public void Dispose()
    {
        _source.Dispose();
        _destination.Dispose();
    }
}
