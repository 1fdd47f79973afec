using System.Collections.Concurrent;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// One CUDA device through the driver API: its primary context (retained once, made current on whichever
/// thread calls, since async code hops threads), one non-blocking stream that orders every operation, and the
/// kernels, compiled by NVRTC for the device's own architecture (see <see cref="Nvrtc.Compile"/>) once per process.
/// A second queue (<see cref="OpenQueue"/>) is another instance over the same context and kernels with streams
/// of its own; the first instance owns the context and the modules.
/// </summary>
internal sealed unsafe class CudaRuntime : IDeviceRuntime
{
    /// <summary>NVRTC options besides the architecture: no fused multiply-add, so sums round as on the CPU.</summary>
    private static readonly string[] CompileOptions = ["--fmad=false", "--std=c++17"];

    // Module images by (compute capability, file): compiling takes a second or more, so once per process.
    private static readonly ConcurrentDictionary<(int, string), (byte[] Image, string Target)> CompiledKernels = new();

    private readonly CudaDriver _driver;
    private readonly int _device;
    private readonly nint _context;
    private readonly CudaRuntime? _owner; // set on a second queue: the runtime whose context and kernels it shares
    // Set once, by OpenStreams; a failure part way leaves zeros, which Dispose skips.
    private nint _stream;
    private nint _uploadStream; // plan uploads of queued gathers: see CopyToDeviceAhead
    private nint _uploaded;
    private readonly List<nint> _modules = [];
    private readonly nint[] _functions; // by Kernel; a second queue shares its owner's
    private bool _disposed;

    /// <summary>Opens device <paramref name="ordinal"/> and compiles the kernels for it.</summary>
    /// <exception cref="CudaException">Any driver or NVRTC failure, naming the call.</exception>
    public CudaRuntime(CudaDriver driver, Nvrtc compiler, int ordinal)
    {
        _driver = driver;
        _device = driver.Device(ordinal);
        _functions = new nint[KernelCatalog.Count];
        Name = $"cuda:{ordinal}";
        DeviceName = driver.DeviceName(_device);
        ComputeCapability = driver.Attribute(_device, CudaDriver.AttributeComputeCapabilityMajor) * 10
            + driver.Attribute(_device, CudaDriver.AttributeComputeCapabilityMinor);
        _context = driver.RetainPrimaryContext(_device);
        try
        {
            driver.SetCurrent(_context);
            OpenStreams();
            foreach (var file in KernelCatalog.Files)
            {
                var (image, target) = CompiledKernels.GetOrAdd((ComputeCapability, file),
                    key => compiler.Compile(KernelCatalog.Source(key.Item2), key.Item2, key.Item1, CompileOptions));
                KernelTarget = target;
                var module = driver.LoadModule(image);
                _modules.Add(module);
                for (var k = 0; k < KernelCatalog.Count; k++)
                {
                    if (KernelCatalog.FileOf((Kernel)k) == file)
                        _functions[k] = driver.Function(module, KernelCatalog.Symbol((Kernel)k));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A second queue over <paramref name="owner"/>'s context and kernels (<see cref="OpenQueue"/>).</summary>
    private CudaRuntime(CudaRuntime owner)
    {
        _owner = owner;
        _driver = owner._driver;
        _device = owner._device;
        _context = owner._context;
        _functions = owner._functions;
        Name = owner.Name;
        DeviceName = owner.DeviceName;
        ComputeCapability = owner.ComputeCapability;
        KernelTarget = owner.KernelTarget;
        Enter();
        try
        {
            OpenStreams();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void OpenStreams()
    {
        _stream = _driver.CreateStream(CudaDriver.StreamNonBlocking);
        _uploadStream = _driver.CreateStream(CudaDriver.StreamNonBlocking);
        _uploaded = _driver.CreateEvent(CudaDriver.EventDisableTiming);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The device's marketing name.</summary>
    public string DeviceName { get; }

    /// <summary>Compute capability as major × 10 + minor (e.g. 90 for sm_90).</summary>
    public int ComputeCapability { get; }

    /// <summary>What the kernels were compiled for: "sm_90", or "compute_90 PTX" for a device newer than NVRTC.</summary>
    public string KernelTarget { get; private set; } = "";

    /// <summary>The driver (for the benchmark's reference copies).</summary>
    internal CudaDriver Driver => _driver;

    /// <summary>The runtime under a CUDA backend, for the benchmark's own uses of the device.</summary>
    /// <exception cref="ArgumentException"><paramref name="backend"/> is not a CUDA backend.</exception>
    internal static CudaRuntime Of(IComputeBackend backend) =>
        backend is DeviceBackend { Runtime: CudaRuntime runtime }
            ? runtime
            : throw new ArgumentException($"backend {backend.Name} is not a CUDA backend", nameof(backend));

    /// <summary>The stream this queue's operations go on.</summary>
    internal nint Stream => _stream;

    /// <summary>The kernel timing in force (<see cref="KernelTiming"/> sets and clears it), or null.</summary>
    internal KernelTiming? Timing { get; set; }

    /// <summary>
    /// True once this runtime, or for a second queue the runtime it shares, is disposed: the context is then gone,
    /// and with it all it had allocated and queued, so frees and waits have nothing left to do.
    /// </summary>
    private bool Released => _disposed || _owner is { _disposed: true };

    /// <summary>Makes the context current on the calling thread; every entry point calls it first.</summary>
    internal void Enter() => _driver.SetCurrent(_context);

    /// <inheritdoc/>
    public ulong Allocate(long bytes)
    {
        Enter();
        return _driver.Allocate(Math.Max(bytes, 16)); // cuMemAlloc aligns to at least 256 bytes
    }

    /// <inheritdoc/>
    /// <remarks>After <see cref="Dispose"/> a no-op: releasing the context released its memory.</remarks>
    public void Free(ulong address)
    {
        if (Released)
            return;
        Enter();
        _driver.Free(address);
    }

    /// <inheritdoc/>
    public void* AllocateHost(long bytes)
    {
        Enter();
        return _driver.AllocateHost(Math.Max(bytes, 16)); // page-aligned
    }

    /// <inheritdoc/>
    /// <remarks>After <see cref="Dispose"/> a no-op, as for <see cref="Free"/>.</remarks>
    public void FreeHost(void* host)
    {
        if (Released)
            return;
        Enter();
        _driver.FreeHost(host);
    }

    /// <inheritdoc/>
    public void CopyToDevice(ulong destination, void* source, long bytes)
    {
        Enter();
        _driver.CopyToDevice(destination, source, bytes, _stream);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The copy goes on a second stream, and the main stream waits for it (an event recorded after it) before the
    /// work queued next: so it overlaps the kernel still running on the main stream, as a queued gather's plan does.
    /// </remarks>
    public void CopyToDeviceAhead(ulong destination, void* source, long bytes)
    {
        Enter();
        _driver.CopyToDevice(destination, source, bytes, _uploadStream);
        _driver.Record(_uploaded, _uploadStream);
        _driver.WaitEvent(_stream, _uploaded);
    }

    /// <inheritdoc/>
    public void CopyToHost(void* destination, ulong source, long bytes)
    {
        Enter();
        _driver.CopyToHost(destination, source, bytes, _stream);
    }

    /// <inheritdoc/>
    public void Fill32(ulong destination, uint value, long count)
    {
        Enter();
        _driver.Fill32(destination, value, count, _stream);
    }

    /// <inheritdoc/>
    public ulong MapHost(void* host, long bytes)
    {
        Enter();
        _driver.RegisterHost(host, bytes);
        return _driver.DevicePointerOf(host);
    }

    /// <inheritdoc/>
    /// <remarks>After <see cref="Dispose"/> a no-op, as for <see cref="Free"/>.</remarks>
    public void UnmapHost(void* host)
    {
        if (Released)
            return;
        Enter();
        _driver.UnregisterHost(host);
    }

    /// <inheritdoc/>
    public void Launch(Kernel kernel, uint gridX, uint gridY, uint blockX, void** args)
    {
        Enter();
        var timing = Timing?.Kernel == kernel ? Timing : null;
        timing?.BeforeLaunch(_stream);
        _driver.Launch(_functions[(int)kernel], gridX, gridY, blockX, _stream, args);
        timing?.AfterLaunch(_stream);
    }

    /// <inheritdoc/>
    /// <remarks>After <see cref="Dispose"/> a no-op: the context is gone, and with it all it had queued.</remarks>
    public void Synchronize()
    {
        if (Released)
            return;
        Enter();
        _driver.Synchronize(_stream);
    }

    /// <inheritdoc/>
    public IDeviceRuntime OpenQueue() => new CudaRuntime(_owner ?? this);

    /// <inheritdoc/>
    public nint CreateEvent()
    {
        Enter();
        return _driver.CreateEvent(CudaDriver.EventDisableTiming);
    }

    /// <inheritdoc/>
    public void Record(nint marker)
    {
        Enter();
        _driver.Record(marker, _stream);
    }

    /// <inheritdoc/>
    /// <remarks>After <see cref="Dispose"/> a no-op: the context is gone, and with it all it had queued.</remarks>
    public void WaitFor(nint marker)
    {
        if (Released)
            return;
        Enter();
        _driver.WaitFor(marker);
    }

    /// <inheritdoc/>
    /// <remarks>After <see cref="Dispose"/> a no-op: the context and its events are gone.</remarks>
    public void DestroyEvent(nint marker)
    {
        if (Released)
            return;
        Enter();
        _driver.DestroyEvent(marker);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Released)
            return;
        _disposed = true;
        if (_context == 0)
            return;
        _driver.SetCurrent(_context);
        foreach (var module in _modules) // none on a second queue: the kernels are its owner's
            _driver.UnloadModule(module);
        if (_uploaded != 0)
            _driver.DestroyEvent(_uploaded);
        if (_uploadStream != 0)
            _driver.DestroyStream(_uploadStream);
        if (_stream != 0)
            _driver.DestroyStream(_stream);
        if (_owner is null)
            _driver.ReleasePrimaryContext(_device);
    }
}
