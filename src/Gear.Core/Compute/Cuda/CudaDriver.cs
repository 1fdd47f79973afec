using System.Runtime.InteropServices;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The CUDA driver API (<c>libcuda.so.1</c>), bound through function pointers resolved once with
/// <see cref="NativeLibrary"/>. Every call's result is checked: a failure becomes a <see cref="CudaException"/>
/// naming the call and the driver's error name and text. Entry points are the <c>_v2</c> ones where cuda.h maps
/// the plain name to a <c>_v2</c> symbol (64-bit sizes and device pointers).
/// </summary>
internal sealed unsafe class CudaDriver
{
    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    /// <summary>CU_MEMHOSTREGISTER_PORTABLE | CU_MEMHOSTREGISTER_DEVICEMAP (also the CU_MEMHOSTALLOC_ flags' values).</summary>
    public const uint HostPortableDeviceMap = 0x1 | 0x2;

    /// <summary>CU_STREAM_NON_BLOCKING: no implicit ordering with the legacy default stream.</summary>
    public const uint StreamNonBlocking = 0x1;

    /// <summary>CU_EVENT_DISABLE_TIMING: an event that only orders work (cheaper to record and to wait for).</summary>
    public const uint EventDisableTiming = 0x2;

    private const int ErrorNoDevice = 100; // CUDA_ERROR_NO_DEVICE

    private static readonly Lazy<(CudaDriver? Driver, string Problem)> Shared = new(Load);

    private readonly delegate* unmanaged<uint, int> _init;
    private readonly delegate* unmanaged<int*, int> _driverGetVersion;
    private readonly delegate* unmanaged<int*, int> _deviceGetCount;
    private readonly delegate* unmanaged<int*, int, int> _deviceGet;
    private readonly delegate* unmanaged<byte*, int, int, int> _deviceGetName;
    private readonly delegate* unmanaged<int*, int, int, int> _deviceGetAttribute;
    private readonly delegate* unmanaged<nint*, int, int> _primaryCtxRetain;
    private readonly delegate* unmanaged<int, int> _primaryCtxRelease;
    private readonly delegate* unmanaged<nint, int> _ctxSetCurrent;
    private readonly delegate* unmanaged<nint*, uint, int> _streamCreate;
    private readonly delegate* unmanaged<nint, int> _streamDestroy;
    private readonly delegate* unmanaged<nint, int> _streamSynchronize;
    private readonly delegate* unmanaged<nint, nint, uint, int> _streamWaitEvent;
    private readonly delegate* unmanaged<ulong*, nuint, int> _memAlloc;
    private readonly delegate* unmanaged<ulong, int> _memFree;
    private readonly delegate* unmanaged<ulong, void*, nuint, nint, int> _memcpyHtoDAsync;
    private readonly delegate* unmanaged<void*, ulong, nuint, nint, int> _memcpyDtoHAsync;
    private readonly delegate* unmanaged<ulong, ulong, nuint, nint, int> _memcpyDtoDAsync;
    private readonly delegate* unmanaged<ulong, uint, nuint, nint, int> _memsetD32Async;
    private readonly delegate* unmanaged<void*, nuint, uint, int> _memHostRegister;
    private readonly delegate* unmanaged<void*, int> _memHostUnregister;
    private readonly delegate* unmanaged<ulong*, void*, uint, int> _memHostGetDevicePointer;
    private readonly delegate* unmanaged<void**, nuint, uint, int> _memHostAlloc;
    private readonly delegate* unmanaged<void*, int> _memFreeHost;
    private readonly delegate* unmanaged<nint*, void*, int> _moduleLoadData;
    private readonly delegate* unmanaged<nint, int> _moduleUnload;
    private readonly delegate* unmanaged<nint*, nint, byte*, int> _moduleGetFunction;
    private readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> _launchKernel;
    private readonly delegate* unmanaged<nint*, uint, int> _eventCreate;
    private readonly delegate* unmanaged<nint, nint, int> _eventRecord;
    private readonly delegate* unmanaged<nint, int> _eventSynchronize;
    private readonly delegate* unmanaged<float*, nint, nint, int> _eventElapsedTime;
    private readonly delegate* unmanaged<nint, int> _eventDestroy;
    private readonly delegate* unmanaged<int, byte**, int> _getErrorName;
    private readonly delegate* unmanaged<int, byte**, int> _getErrorString;

    private CudaDriver(nint library)
    {
        nint Get(string symbol) => NativeExports.Require(library, LibraryName, symbol);
        _init = (delegate* unmanaged<uint, int>)Get("cuInit");
        _driverGetVersion = (delegate* unmanaged<int*, int>)Get("cuDriverGetVersion");
        _deviceGetCount = (delegate* unmanaged<int*, int>)Get("cuDeviceGetCount");
        _deviceGet = (delegate* unmanaged<int*, int, int>)Get("cuDeviceGet");
        _deviceGetName = (delegate* unmanaged<byte*, int, int, int>)Get("cuDeviceGetName");
        _deviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Get("cuDeviceGetAttribute");
        _primaryCtxRetain = (delegate* unmanaged<nint*, int, int>)Get("cuDevicePrimaryCtxRetain");
        _primaryCtxRelease = (delegate* unmanaged<int, int>)Get("cuDevicePrimaryCtxRelease_v2");
        _ctxSetCurrent = (delegate* unmanaged<nint, int>)Get("cuCtxSetCurrent");
        _streamCreate = (delegate* unmanaged<nint*, uint, int>)Get("cuStreamCreate");
        _streamDestroy = (delegate* unmanaged<nint, int>)Get("cuStreamDestroy_v2");
        _streamSynchronize = (delegate* unmanaged<nint, int>)Get("cuStreamSynchronize");
        _memAlloc = (delegate* unmanaged<ulong*, nuint, int>)Get("cuMemAlloc_v2");
        _memFree = (delegate* unmanaged<ulong, int>)Get("cuMemFree_v2");
        _memcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)Get("cuMemcpyHtoDAsync_v2");
        _memcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)Get("cuMemcpyDtoHAsync_v2");
        _memcpyDtoDAsync = (delegate* unmanaged<ulong, ulong, nuint, nint, int>)Get("cuMemcpyDtoDAsync_v2");
        _memsetD32Async = (delegate* unmanaged<ulong, uint, nuint, nint, int>)Get("cuMemsetD32Async");
        _memHostRegister = (delegate* unmanaged<void*, nuint, uint, int>)Get("cuMemHostRegister_v2");
        _memHostUnregister = (delegate* unmanaged<void*, int>)Get("cuMemHostUnregister");
        _memHostGetDevicePointer = (delegate* unmanaged<ulong*, void*, uint, int>)Get("cuMemHostGetDevicePointer_v2");
        _memHostAlloc = (delegate* unmanaged<void**, nuint, uint, int>)Get("cuMemHostAlloc");
        _memFreeHost = (delegate* unmanaged<void*, int>)Get("cuMemFreeHost");
        _moduleLoadData = (delegate* unmanaged<nint*, void*, int>)Get("cuModuleLoadData");
        _moduleUnload = (delegate* unmanaged<nint, int>)Get("cuModuleUnload");
        _moduleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)Get("cuModuleGetFunction");
        _launchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)Get("cuLaunchKernel");
        _eventCreate = (delegate* unmanaged<nint*, uint, int>)Get("cuEventCreate");
        _eventRecord = (delegate* unmanaged<nint, nint, int>)Get("cuEventRecord");
        _eventSynchronize = (delegate* unmanaged<nint, int>)Get("cuEventSynchronize");
        _eventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)Get("cuEventElapsedTime");
        _eventDestroy = (delegate* unmanaged<nint, int>)Get("cuEventDestroy_v2");
        _streamWaitEvent = (delegate* unmanaged<nint, nint, uint, int>)Get("cuStreamWaitEvent");
        _getErrorName = (delegate* unmanaged<int, byte**, int>)Get("cuGetErrorName");
        _getErrorString = (delegate* unmanaged<int, byte**, int>)Get("cuGetErrorString");
    }

    /// <summary>The file the driver is loaded from (installed by the NVIDIA driver, not the toolkit).</summary>
    public const string LibraryName = "libcuda.so.1";

    /// <summary>
    /// The driver, initialised (cuInit) once per process, or null with the reason it cannot be used: the library
    /// is missing, an export is missing, or cuInit fails (no device, driver/kernel-module mismatch).
    /// </summary>
    public static CudaDriver? TryGet(out string problem)
    {
        var (driver, why) = Shared.Value;
        problem = why;
        return driver;
    }

    private static (CudaDriver?, string) Load()
    {
        var library = NativeExports.TryLoad([LibraryName, "libcuda.so"], out var tried);
        if (library == 0)
            return (null, $"the CUDA driver library is not installed (tried {tried})");
        try
        {
            var driver = new CudaDriver(library);
            var result = driver._init(0);
            if (result == ErrorNoDevice)
                return (null, "the CUDA driver found no device");
            driver.Check(result, "cuInit");
            return (driver, "");
        }
        catch (CudaException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public void Check(int result, string call)
    {
        if (result != 0)
            throw new CudaException(call, result, Describe(result));
    }

    private string Describe(int result)
    {
        byte* name = null, text = null;
        _ = _getErrorName(result, &name);
        _ = _getErrorString(result, &text);
        var nameText = name != null ? Marshal.PtrToStringUTF8((nint)name) : "CUDA_ERROR_UNKNOWN";
        return text != null ? $"{nameText}: {Marshal.PtrToStringUTF8((nint)text)}" : nameText!;
    }

    /// <summary>The driver's CUDA version, e.g. 12040 for 12.4.</summary>
    public int Version() { int v; Check(_driverGetVersion(&v), "cuDriverGetVersion"); return v; }

    /// <summary>Number of CUDA devices.</summary>
    public int DeviceCount() { int n; Check(_deviceGetCount(&n), "cuDeviceGetCount"); return n; }

    /// <summary>The device handle for <paramref name="ordinal"/>.</summary>
    public int Device(int ordinal) { int d; Check(_deviceGet(&d, ordinal), "cuDeviceGet"); return d; }

    /// <summary>The device's marketing name.</summary>
    public string DeviceName(int device)
    {
        var buffer = stackalloc byte[256];
        Check(_deviceGetName(buffer, 256, device), "cuDeviceGetName");
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }

    /// <summary>A device attribute (CU_DEVICE_ATTRIBUTE_*).</summary>
    public int Attribute(int device, int attribute)
    {
        int value;
        Check(_deviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute");
        return value;
    }

    /// <summary>Retains the device's primary context (released with <see cref="ReleasePrimaryContext"/>).</summary>
    public nint RetainPrimaryContext(int device) { nint c; Check(_primaryCtxRetain(&c, device), "cuDevicePrimaryCtxRetain"); return c; }

    /// <summary>Releases one retain of the device's primary context.</summary>
    public void ReleasePrimaryContext(int device) => Check(_primaryCtxRelease(device), "cuDevicePrimaryCtxRelease_v2");

    /// <summary>Makes <paramref name="context"/> current on the calling thread.</summary>
    public void SetCurrent(nint context) => Check(_ctxSetCurrent(context), "cuCtxSetCurrent");

    /// <summary>Creates a stream.</summary>
    public nint CreateStream(uint flags) { nint s; Check(_streamCreate(&s, flags), "cuStreamCreate"); return s; }

    /// <summary>Destroys a stream.</summary>
    public void DestroyStream(nint stream) => Check(_streamDestroy(stream), "cuStreamDestroy_v2");

    /// <summary>Waits for everything queued on <paramref name="stream"/>.</summary>
    public void Synchronize(nint stream) => Check(_streamSynchronize(stream), "cuStreamSynchronize");

    /// <summary>Allocates device memory.</summary>
    public ulong Allocate(long bytes) { ulong p; Check(_memAlloc(&p, (nuint)bytes), "cuMemAlloc_v2"); return p; }

    /// <summary>Frees device memory.</summary>
    public void Free(ulong pointer) => Check(_memFree(pointer), "cuMemFree_v2");

    /// <summary>Queues a host-to-device copy.</summary>
    public void CopyToDevice(ulong destination, void* source, long bytes, nint stream) =>
        Check(_memcpyHtoDAsync(destination, source, (nuint)bytes, stream), "cuMemcpyHtoDAsync_v2");

    /// <summary>Queues a device-to-host copy.</summary>
    public void CopyToHost(void* destination, ulong source, long bytes, nint stream) =>
        Check(_memcpyDtoHAsync(destination, source, (nuint)bytes, stream), "cuMemcpyDtoHAsync_v2");

    /// <summary>Queues a device-to-device copy.</summary>
    public void CopyOnDevice(ulong destination, ulong source, long bytes, nint stream) =>
        Check(_memcpyDtoDAsync(destination, source, (nuint)bytes, stream), "cuMemcpyDtoDAsync_v2");

    /// <summary>Queues a fill of <paramref name="count"/> 32-bit words.</summary>
    public void Fill32(ulong destination, uint value, long count, nint stream) =>
        Check(_memsetD32Async(destination, value, (nuint)count, stream), "cuMemsetD32Async");

    /// <summary>Page-locks existing host memory and maps it for the device (portable across contexts).</summary>
    public void RegisterHost(void* pointer, long bytes) =>
        Check(_memHostRegister(pointer, (nuint)bytes, HostPortableDeviceMap), "cuMemHostRegister_v2");

    /// <summary>Undoes <see cref="RegisterHost"/>.</summary>
    public void UnregisterHost(void* pointer) => Check(_memHostUnregister(pointer), "cuMemHostUnregister");

    /// <summary>The device address of mapped pinned host memory.</summary>
    public ulong DevicePointerOf(void* host)
    {
        ulong p;
        Check(_memHostGetDevicePointer(&p, host, 0), "cuMemHostGetDevicePointer_v2");
        return p;
    }

    /// <summary>Allocates pinned, mapped host memory (cuMemHostAlloc PORTABLE | DEVICEMAP).</summary>
    public void* AllocateHost(long bytes)
    {
        void* p;
        Check(_memHostAlloc(&p, (nuint)bytes, HostPortableDeviceMap), "cuMemHostAlloc");
        return p;
    }

    /// <summary>Frees memory from <see cref="AllocateHost"/>.</summary>
    public void FreeHost(void* pointer) => Check(_memFreeHost(pointer), "cuMemFreeHost");

    /// <summary>Loads a module from a CUBIN or PTX image.</summary>
    public nint LoadModule(byte[] image)
    {
        nint module;
        fixed (byte* p = image)
            Check(_moduleLoadData(&module, p), "cuModuleLoadData");
        return module;
    }

    /// <summary>Unloads a module.</summary>
    public void UnloadModule(nint module) => Check(_moduleUnload(module), "cuModuleUnload");

    /// <summary>The kernel <paramref name="name"/> of <paramref name="module"/>.</summary>
    public nint Function(nint module, string name)
    {
        nint function;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes)
            Check(_moduleGetFunction(&function, module, p), $"cuModuleGetFunction({name})");
        return function;
    }

    /// <summary>Queues a kernel launch; <paramref name="args"/> points at each argument, as cuLaunchKernel takes them.</summary>
    public void Launch(nint function, uint gridX, uint gridY, uint blockX, nint stream, void** args) =>
        Check(_launchKernel(function, gridX, gridY, 1, blockX, 1, 1, 0, stream, args, null), "cuLaunchKernel");

    /// <summary>Creates an event (default flags: it records timing; <see cref="EventDisableTiming"/>: ordering only).</summary>
    public nint CreateEvent(uint flags = 0) { nint e; Check(_eventCreate(&e, flags), "cuEventCreate"); return e; }

    /// <summary>Makes work queued on <paramref name="stream"/> from now on wait for <paramref name="evt"/>'s last record.</summary>
    public void WaitEvent(nint stream, nint evt) => Check(_streamWaitEvent(stream, evt, 0), "cuStreamWaitEvent");

    /// <summary>Records <paramref name="evt"/> on <paramref name="stream"/>.</summary>
    public void Record(nint evt, nint stream) => Check(_eventRecord(evt, stream), "cuEventRecord");

    /// <summary>Waits for <paramref name="evt"/>.</summary>
    public void WaitFor(nint evt) => Check(_eventSynchronize(evt), "cuEventSynchronize");

    /// <summary>Milliseconds between two recorded events.</summary>
    public float ElapsedMilliseconds(nint start, nint end)
    {
        float ms;
        Check(_eventElapsedTime(&ms, start, end), "cuEventElapsedTime");
        return ms;
    }

    /// <summary>Destroys an event.</summary>
    public void DestroyEvent(nint evt) => Check(_eventDestroy(evt), "cuEventDestroy_v2");
}
