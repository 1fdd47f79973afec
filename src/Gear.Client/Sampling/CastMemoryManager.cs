using System.Buffers;
using System.Runtime.InteropServices;

namespace Gear.Client;

/// <summary>
/// Exposes bytes as <see cref="Memory{T}"/> of another element type without copying (Memory has no cast of
/// its own). Pinning pins the underlying bytes.
/// </summary>
internal sealed class CastMemoryManager<T>(ReadOnlyMemory<byte> bytes) : MemoryManager<T> where T : unmanaged
{
    public override Span<T> GetSpan() =>
        MemoryMarshal.Cast<byte, T>(MemoryMarshal.AsMemory(bytes).Span);

    public override MemoryHandle Pin(int elementIndex = 0) =>
        MemoryMarshal.AsMemory(bytes).Slice(elementIndex * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()).Pin();

    public override void Unpin()
    {
        // The handle returned by Pin unpins itself when disposed.
    }

    protected override void Dispose(bool disposing)
    {
        // Owns nothing: the bytes belong to the batch.
    }
}
