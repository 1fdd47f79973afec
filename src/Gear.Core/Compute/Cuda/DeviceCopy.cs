namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A device copy of a host array of selection state (a slot set's bitmap words or Fenwick tree, top-k's priorities
/// or stamps), kept in step incrementally: the owner marks the entries it changes as it changes them, and a
/// <see cref="Flush"/> before each selection sends only those, as one copy of (index, value) pairs and one
/// <c>gear_scatter</c> launch; when more than half the array changed (a clear, a restore), one copy of the whole
/// array instead. Each entry is marked once however often it changes, and its value is read at the flush, so the
/// last value wins. Only marking more entries between flushes than ever before allocates (the staging grows).
/// Not thread-safe: the owner marks under its table's lock and flushes under the backend's gate as well.
/// </summary>
internal sealed unsafe class DeviceCopy<T> : IDisposable
    where T : unmanaged
{
    private readonly IDeviceRuntime _runtime;
    private readonly ulong[] _marked;
    private readonly DeviceBuffer _changes;
    private int[] _indices;
    private T[] _values;
    private int _count;
    private bool _disposed;

    /// <summary>Allocates a device array of <paramref name="length"/> elements; the first flush sends it whole.</summary>
    public DeviceCopy(IDeviceRuntime runtime, int length)
    {
        if (sizeof(T) is not (4 or 8))
            throw new NotSupportedException($"gear_scatter moves 4- or 8-byte elements, not the {sizeof(T)} of {typeof(T).Name}");
        _runtime = runtime;
        Length = length;
        _marked = new ulong[(length + 63) / 64];
        _indices = GC.AllocateArray<int>(Math.Min(length, 64), pinned: true);
        _values = GC.AllocateArray<T>(_indices.Length, pinned: true);
        _changes = new DeviceBuffer(runtime);
        Address = runtime.Allocate((long)length * sizeof(T));
        MarkAll();
    }

    /// <summary>Elements in the array.</summary>
    public int Length { get; }

    /// <summary>The device array.</summary>
    public ulong Address { get; }

    /// <summary>Notes that entry <paramref name="index"/> of the host array changed.</summary>
    public void Mark(int index)
    {
        ref var word = ref _marked[index >> 6];
        var bit = 1UL << index;
        if ((word & bit) != 0)
            return;
        word |= bit;
        if (_count == _indices.Length)
        {
            Grow(ref _indices, _count + 1);
            Grow(ref _values, _count + 1);
        }
        _indices[_count++] = index;
    }

    /// <summary>Notes that every entry changed (a clear): the next flush sends the whole array.</summary>
    public void MarkAll()
    {
        Array.Fill(_marked, ulong.MaxValue);
        _count = Length; // more than half: the flush copies the whole array and never reads the index list
    }

    /// <summary>
    /// Queues the marked entries of <paramref name="host"/> (the array this copies) to the device, ahead of the
    /// selection that reads them on the same queue; call under the gate, and let that selection synchronize before
    /// the next flush (the scatter's staging is reused then). A whole-array copy reads <paramref name="host"/>,
    /// which may move once this returns, so that one is waited for here.
    /// </summary>
    public void Flush(ReadOnlySpan<T> host)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_count == 0)
            return;
        if (_count > Length / 2)
        {
            fixed (T* source = host)
            {
                _runtime.CopyToDevice(Address, source, (long)Length * sizeof(T));
                _runtime.Synchronize();
            }
            Array.Clear(_marked);
        }
        else
        {
            for (var i = 0; i < _count; i++)
                _values[i] = host[_indices[i]];
            var indexBytes = ((long)_count * sizeof(int) + 15) & ~15L; // the values start 16-byte aligned
            var deviceIndices = _changes.Ensure(indexBytes + (long)_count * sizeof(T));
            var deviceValues = deviceIndices + (ulong)indexBytes;
            var count = _count;
            var width = sizeof(T);
            var target = Address;
            fixed (int* indices = _indices)
            fixed (T* values = _values)
            {
                _runtime.CopyToDevice(deviceIndices, indices, (long)count * sizeof(int));
                _runtime.CopyToDevice(deviceValues, values, (long)count * sizeof(T));
                void** args = stackalloc void*[5];
                args[0] = &deviceIndices; args[1] = &deviceValues; args[2] = &count; args[3] = &width; args[4] = &target;
                // Not waited for here: the staging is pinned and untouched until the next flush, and the selection
                // that follows on the same queue reads the result and waits for it (see the summary of Flush).
                _runtime.Launch(Kernel.Scatter, LaunchShape.Blocks(count), 1, LaunchShape.BlockThreads, args);
            }
            for (var i = 0; i < count; i++)
                _marked[_indices[i] >> 6] &= ~(1UL << _indices[i]);
        }
        _count = 0;
    }

    private static void Grow<TElement>(ref TElement[] array, int needed)
        where TElement : unmanaged
    {
        var grown = GC.AllocateArray<TElement>(Math.Max(needed, array.Length * 2), pinned: true);
        array.AsSpan().CopyTo(grown);
        array = grown;
    }

    /// <summary>Frees the device array; call under the gate.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _changes.Dispose();
        _runtime.Free(Address);
    }
}
