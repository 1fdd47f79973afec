namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A grow-only page-locked host buffer (<see cref="IDeviceRuntime.AllocateHost"/>) that per-call inputs are written
/// into before one asynchronous copy takes them to the device: reallocated only when a call needs more than any
/// before it, so steady-state calls allocate nothing, managed or native. The caller must have synchronized since
/// its last copy from the buffer before writing it again or growing it.
/// </summary>
internal sealed unsafe class PinnedStaging(IDeviceRuntime runtime) : IDisposable
{
    private long _bytes;

    /// <summary>The host address (null until the first <see cref="Ensure"/>).</summary>
    public byte* Pointer { get; private set; }

    /// <summary>Makes the buffer hold at least <paramref name="bytes"/>; returns its address (contents not kept).</summary>
    public byte* Ensure(long bytes)
    {
        if (bytes > _bytes)
        {
            var grown = _bytes + _bytes / 2;
            if (Pointer != null)
                runtime.FreeHost(Pointer);
            Pointer = null;
            _bytes = 0; // a failed allocation leaves an empty buffer, not a null one that claims a size
            // Grow by half again, as DeviceBuffer does, so that a slowly rising size does not reallocate every call.
            var size = Math.Max(bytes, grown);
            Pointer = (byte*)runtime.AllocateHost(size);
            _bytes = size;
        }
        return Pointer;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Pointer != null)
            runtime.FreeHost(Pointer);
        Pointer = null;
        _bytes = 0;
    }
}
