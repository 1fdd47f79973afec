using System.Buffers;

namespace Gear.Server.Service;

/// <summary>
/// Exposes a block of native memory (a gather buffer) as <see cref="Memory{T}"/>, so a reply can reference the
/// gathered bytes instead of copying them. The block must outlive every use of the memory; native memory never
/// moves, so pinning is free.
/// </summary>
internal sealed unsafe class NativeMemoryManager(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle(pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        // The memory belongs to the gather buffer, which frees it.
    }
}
