using System.Runtime.InteropServices;

namespace Gear.Core.Storage;

/// <summary>
/// A block of unmanaged memory, aligned and never moved by the GC, freed exactly once. The memory is
/// pinned in the .NET sense (a fixed address the CUDA backend can register and map for zero-copy reads).
/// Pages are committed by the OS on first touch, so a large arena costs address space until it is used.
/// </summary>
/// <remarks>
/// Large buffers are aligned to 2 MiB and, on Linux, offered to the kernel for transparent huge pages: a
/// table's arena is read at random, and with 4 KiB pages nearly every such read also misses the TLB (measured
/// here: random cache-line reads from a 128 MiB buffer went from about 13 to 10 ns each).
/// </remarks>
public sealed unsafe class NativeBuffer : IDisposable
{
    /// <summary>Alignment of every buffer: the OS page size, so buffers can be registered with a device.</summary>
    public const int Alignment = 4096;

    /// <summary>Size from which a buffer is aligned for, and advised to use, huge pages.</summary>
    public const long HugePageThreshold = 4L << 20;

    private const int HugePageSize = 2 << 20;

    private byte* _pointer;

    /// <summary>Allocates <paramref name="length"/> bytes (rounded up to the alignment); contents undefined.</summary>
    public NativeBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        var alignment = length >= HugePageThreshold ? HugePageSize : Alignment;
        Capacity = Math.Max(alignment, (length + alignment - 1) / alignment * alignment);
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Capacity, (nuint)alignment);
        if (alignment == HugePageSize)
            PageAdvice.UseHugePages(_pointer, (nuint)Capacity);
    }

    /// <summary>Usable bytes, as requested.</summary>
    public long Length { get; }

    /// <summary>Reserved bytes (the request rounded up to the alignment).</summary>
    public long Capacity { get; }

    /// <summary>The first byte. Valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(NativeBuffer));

    /// <summary>The buffer as a span (requires <see cref="Length"/> &lt;= int.MaxValue).</summary>
    public Span<byte> Span => new(Pointer, checked((int)Length));

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
