using System.Runtime.InteropServices;
using Gear.Core.Compute.Cuda;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// A device runtime on the host: the kernels of kernels/*.cu compiled as plain C++ by clang-14 (with
/// kernels/shim/host_emulation.h) into a shared library whose launcher runs each kernel one thread at a time.
/// Device memory is host memory and mapping host memory is the identity, so the backend's host-side logic and
/// the kernels' logic run exactly as written, minus the GPU's parallelism. With <see cref="Deferred"/> set, queued
/// work runs late, as on a device: see there. A second queue (<see cref="OpenQueue"/>) shares the device's memory,
/// settings and counts, and defers its own work apart from this one's.
/// </summary>
internal sealed unsafe class EmulatedRuntime : IDeviceRuntime
{
    private static readonly Lazy<nint> Library = new(Build);
    private readonly EmulatedDevice _device;

    /// <summary>Builds the emulation library on first use (Inconclusive without clang-14).</summary>
    public EmulatedRuntime()
    {
        Clang.Require();
        _device = new EmulatedDevice(
            (delegate* unmanaged<byte*, uint, uint, uint, void**, int>)NativeLibrary.GetExport(Library.Value, "gear_emu_launch"));
    }

    private EmulatedRuntime(EmulatedDevice device) => _device = device;

    private readonly Queue<Action> _queued = new();
    private readonly Dictionary<nint, long> _markers = [];
    private long _queuedCount;
    private long _ranCount;
    private nint _nextMarker = 1;

    /// <summary>
    /// When set, copies, fills and gather launches are queued and run in order only at <see cref="Synchronize"/>, or
    /// up to a marker at <see cref="WaitFor"/>, as they run late on a device: a caller that reads an output before
    /// waiting, rewrites a buffer a queued copy still reads, or lets pages be reused before their gather ran gets
    /// the wrong bytes, and a test sees it. Other kernels run at once, after everything queued before them.
    /// </summary>
    public bool Deferred
    {
        get => _device.Deferred;
        set => _device.Deferred = value;
    }

    /// <summary>Operations queued on this queue and not yet run (with <see cref="Deferred"/>).</summary>
    public long Outstanding => _queuedCount - _ranCount;

    // The counts are the device's, over all its queues.

    /// <summary>Launches so far (tests check that work really went through the kernels).</summary>
    public int Launches => _device.Launches;

    /// <summary>Host-to-device copies so far.</summary>
    public int CopiesToDevice => _device.CopiesToDevice;

    /// <summary>Host-to-device copies so far whose source was pageable memory (neither allocated pinned nor mapped).</summary>
    public int PageableCopiesToDevice => _device.PageableCopiesToDevice;

    /// <summary>Device-to-host copies so far.</summary>
    public int CopiesToHost => _device.CopiesToHost;

    /// <summary>Device-to-host copies so far whose destination was pageable memory.</summary>
    public int PageableCopiesToHost => _device.PageableCopiesToHost;

    /// <summary>Waits so far.</summary>
    public int Synchronizations => _device.Synchronizations;

    public string Name => "emulated";

    public ulong Allocate(long bytes) => (ulong)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 16), 256);

    public void Free(ulong address) => NativeMemory.AlignedFree((void*)address);

    public void* AllocateHost(long bytes)
    {
        var host = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 16), 4096);
        _device.Pinned.Add(((nint)host, bytes));
        return host;
    }

    public void FreeHost(void* host)
    {
        Unpin(host);
        NativeMemory.AlignedFree(host);
    }

    public void CopyToDevice(ulong destination, void* source, long bytes)
    {
        CountCopyToDevice(source, bytes);
        Copy((nint)source, (nint)destination, bytes);
    }

    // As far ahead as a copy can run: at once, before anything still queued.
    public void CopyToDeviceAhead(ulong destination, void* source, long bytes)
    {
        CountCopyToDevice(source, bytes);
        Buffer.MemoryCopy(source, (void*)destination, bytes, bytes);
    }

    private void CountCopyToDevice(void* source, long bytes)
    {
        _device.CopiesToDevice++;
        if (!IsPinned(source, bytes))
            _device.PageableCopiesToDevice++;
    }

    public void CopyToHost(void* destination, ulong source, long bytes)
    {
        _device.CopiesToHost++;
        if (!IsPinned(destination, bytes))
            _device.PageableCopiesToHost++;
        Copy((nint)source, (nint)destination, bytes);
    }

    public void Fill32(ulong destination, uint value, long count)
    {
        if (Deferred)
            Enqueue(FillLater(destination, value, count));
        else
            new Span<uint>((void*)destination, checked((int)count)).Fill(value);
    }

    public ulong MapHost(void* host, long bytes)
    {
        _device.Pinned.Add(((nint)host, bytes));
        return (ulong)host;
    }

    public void UnmapHost(void* host) => Unpin(host);

    public void Launch(Kernel kernel, uint gridX, uint gridY, uint blockX, void** args)
    {
        _device.Launches++;
        if (Deferred && kernel == Kernel.Gather)
        {
            Enqueue(LaunchLater(kernel, gridX, gridY, blockX, args));
            return;
        }
        lock (_queued)
            RunQueued(_queuedCount);
        LaunchNow(kernel, gridX, gridY, blockX, args);
    }

    public void Synchronize()
    {
        _device.Synchronizations++;
        lock (_queued)
            RunQueued(_queuedCount);
    }

    public IDeviceRuntime OpenQueue() =>
        FailToOpenQueue ? throw new CudaException("cuStreamCreate", 2, "CUDA_ERROR_OUT_OF_MEMORY") : new EmulatedRuntime(_device);

    /// <summary>When set, <see cref="OpenQueue"/> fails as a device out of streams would.</summary>
    public bool FailToOpenQueue { get; set; }

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool Disposed { get; private set; }

    public nint CreateEvent()
    {
        lock (_queued)
        {
            var marker = _nextMarker++;
            _markers[marker] = 0;
            return marker;
        }
    }

    public void Record(nint marker)
    {
        lock (_queued)
            _markers[marker] = _queuedCount;
    }

    public void WaitFor(nint marker)
    {
        // The one call made without the backend's gate: it runs queued work, which others may be adding to.
        lock (_queued)
            RunQueued(_markers[marker]);
    }

    public void DestroyEvent(nint marker)
    {
        lock (_queued)
            _markers.Remove(marker);
    }

    private void LaunchNow(Kernel kernel, uint gridX, uint gridY, uint blockX, void** args)
    {
        int result;
        fixed (byte* name = _device.Names[(int)kernel])
            result = _device.Launch(name, gridX, gridY, blockX, args);
        if (result != 0)
            Assert.Fail($"the emulation library has no kernel {kernel}");
    }

    // Deferred work is made in methods of its own, so that the closures exist only when deferring: the tests of
    // warm gathers count every byte allocated.
    private void Copy(nint source, nint destination, long bytes)
    {
        if (Deferred)
            Enqueue(CopyLater(source, destination, bytes));
        else
            Buffer.MemoryCopy((void*)source, (void*)destination, bytes, bytes);
    }

    private static Action CopyLater(nint source, nint destination, long bytes) =>
        () => Buffer.MemoryCopy((void*)source, (void*)destination, bytes, bytes);

    private static Action FillLater(ulong destination, uint value, long count) =>
        () => new Span<uint>((void*)destination, checked((int)count)).Fill(value);

    private Action LaunchLater(Kernel kernel, uint gridX, uint gridY, uint blockX, void** args)
    {
        // Every argument is at most 8 bytes (addresses, 32- and 64-bit integers): keep 8 bytes of each, little-endian,
        // so that a 4-byte argument reads the same from the copy.
        var values = new ulong[DeviceGather.ArgumentCount];
        for (var i = 0; i < values.Length; i++)
            values[i] = *(ulong*)args[i];
        return () =>
        {
            fixed (ulong* kept = values)
            {
                var pointers = stackalloc void*[DeviceGather.ArgumentCount];
                for (var i = 0; i < DeviceGather.ArgumentCount; i++)
                    pointers[i] = kept + i;
                LaunchNow(kernel, gridX, gridY, blockX, pointers);
            }
        };
    }

    private void Enqueue(Action operation)
    {
        lock (_queued)
        {
            _queued.Enqueue(operation);
            _queuedCount++;
        }
    }

    // Runs queued operations until the first `until` ever queued have run.
    private void RunQueued(long until)
    {
        while (_ranCount < until)
        {
            _queued.Dequeue()();
            _ranCount++;
        }
    }

    public void Dispose() => Disposed = true;

    private bool IsPinned(void* source, long bytes)
    {
        foreach (var (start, length) in _device.Pinned)
        {
            if ((nint)source >= start && (nint)source + (nint)bytes <= start + (nint)length)
                return true;
        }
        return false;
    }

    private void Unpin(void* host) => _device.Pinned.RemoveAt(_device.Pinned.FindIndex(range => range.Start == (nint)host));

    private static nint Build()
    {
        var directory = Directory.CreateTempSubdirectory("gear-emulation-");
        var library = Path.Combine(directory.FullName, "libgearemu.so");
        Clang.Run(Clang.Cxx!,
        [
            // No FMA contraction: the sums must round as the C# reference's do (NVRTC gets --fmad=false).
            "-std=c++17", "-O2", "-ffp-contract=off", "-Wall", "-Werror", "-shared", "-fPIC",
            // A misaligned access traps (the test host dies, failing the run) as it would fault on a GPU, where x86 forgives it.
            "-fsanitize=alignment", "-fsanitize-trap=alignment",
            "-include", Path.Combine(Clang.KernelDirectory, "shim", "host_emulation.h"),
            "-o", library, Path.Combine(Clang.KernelDirectory, "shim", "host_emulation.cpp"),
        ], "clang++-14 host-emulation build");
        var handle = NativeLibrary.Load(library);
        directory.Delete(recursive: true); // the loaded library stays mapped
        return handle;
    }
}

/// <summary>What the queues of one emulated device share: the kernels, the page-locked ranges, the settings and the counts.</summary>
internal sealed unsafe class EmulatedDevice(delegate* unmanaged<byte*, uint, uint, uint, void**, int> launch)
{
    public delegate* unmanaged<byte*, uint, uint, uint, void**, int> Launch { get; } = launch;

    /// <summary>Each kernel's symbol, NUL-terminated, by <see cref="Kernel"/>.</summary>
    public byte[][] Names { get; } = Enumerable.Range(0, KernelCatalog.Count)
        .Select(k => System.Text.Encoding.ASCII.GetBytes(KernelCatalog.Symbol((Kernel)k) + "\0")).ToArray();

    // Page-locked host ranges: from AllocateHost and MapHost. A copy from anywhere else is one the real driver
    // stages through its own buffer and waits for.
    public List<(nint Start, long Bytes)> Pinned { get; } = [];

    public bool Deferred { get; set; }

    public int Launches { get; set; }

    public int CopiesToDevice { get; set; }

    public int PageableCopiesToDevice { get; set; }

    public int CopiesToHost { get; set; }

    public int PageableCopiesToHost { get; set; }

    public int Synchronizations { get; set; }
}
