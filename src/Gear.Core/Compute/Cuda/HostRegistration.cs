namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Host memory of one owner (an arena's pools, a batch's buffers) registered with the device: page-locked and
/// mapped, so kernels address it directly. Undone exactly once, under the backend's gate, when the owner or the
/// backend is disposed, before the memory is freed.
/// </summary>
internal abstract unsafe class HostRegistration : IDisposable
{
    private readonly Lock _gate;
    private readonly object _owner;
    private readonly List<nint> _registered = [];

    /// <summary>
    /// Creates an empty registration of <paramref name="owner"/>'s memory on <paramref name="runtime"/>;
    /// <paramref name="gate"/> serialises device use.
    /// </summary>
    protected HostRegistration(object owner, IDeviceRuntime runtime, Lock gate)
    {
        _owner = owner;
        Runtime = runtime;
        _gate = gate;
    }

    /// <summary>The device the memory is registered with.</summary>
    protected IDeviceRuntime Runtime { get; }

    /// <summary>Whether the registration has been undone.</summary>
    public bool Released { get; private set; }

    /// <summary>Whether this still registers <paramref name="owner"/>'s memory for <paramref name="runtime"/>.</summary>
    public bool Maps(object owner, IDeviceRuntime runtime) =>
        !Released && ReferenceEquals(owner, _owner) && ReferenceEquals(runtime, Runtime);

    /// <summary>Registers <paramref name="bytes"/> at <paramref name="host"/>; returns the address at which kernels reach it.</summary>
    protected ulong Map(void* host, long bytes)
    {
        var device = Runtime.MapHost(host, bytes);
        _registered.Add((nint)host);
        return device;
    }

    /// <summary>Frees device memory the subclass owns; called once, after the host memory is unregistered.</summary>
    protected virtual void FreeDeviceMemory()
    {
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
            Release();
    }

    /// <summary>Undoes everything (once); for constructors that fail half-way and for <see cref="Dispose"/>.</summary>
    protected void Release()
    {
        if (Released)
            return;
        Released = true;
        // A queued gather may still be reading the memory (DeviceBatch.SampleQueuedAsync).
        Runtime.Synchronize();
        foreach (var host in _registered)
            Runtime.UnmapHost((void*)host);
        FreeDeviceMemory();
    }
}
