namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A grow-only device allocation for per-call inputs and outputs: reallocated only when a call needs more than
/// any before it, so steady-state calls allocate nothing.
/// </summary>
internal sealed class DeviceBuffer(IDeviceRuntime runtime) : IDisposable
{
    private long _bytes;

    /// <summary>The device address (0 until the first <see cref="Ensure"/>).</summary>
    public ulong Address { get; private set; }

    /// <summary>Makes the buffer hold at least <paramref name="bytes"/>; returns its address.</summary>
    public ulong Ensure(long bytes)
    {
        if (bytes > _bytes)
        {
            if (Address != 0)
                runtime.Free(Address);
            Address = 0;
            // Grow by half again, so that a slowly rising size does not reallocate every call.
            var size = Math.Max(bytes, _bytes + _bytes / 2);
            Address = runtime.Allocate(size);
            _bytes = size;
        }
        return Address;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Address != 0)
            runtime.Free(Address);
        Address = 0;
        _bytes = 0;
    }
}
