using System.Runtime.InteropServices;
using System.Text;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// NVRTC, the CUDA runtime compiler, bound through function pointers. The library's soname carries the
/// toolkit's major version, so the newest of the known majors is tried first. A failed compile is a
/// <see cref="CudaException"/> that carries NVRTC's error string and the compile log.
/// </summary>
internal sealed unsafe class Nvrtc
{
    /// <summary>The names tried, newest first.</summary>
    public static readonly string[] LibraryNames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11", "libnvrtc.so"];

    private static readonly Lazy<(Nvrtc? Compiler, string Problem)> Shared = new(Load);

    private readonly string _library;
    private readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> _createProgram;
    private readonly delegate* unmanaged<nint, int, byte**, int> _compileProgram;
    private readonly delegate* unmanaged<nint, nuint*, int> _getProgramLogSize;
    private readonly delegate* unmanaged<nint, byte*, int> _getProgramLog;
    private readonly delegate* unmanaged<nint, nuint*, int> _getCubinSize;
    private readonly delegate* unmanaged<nint, byte*, int> _getCubin;
    private readonly delegate* unmanaged<nint, nuint*, int> _getPtxSize;
    private readonly delegate* unmanaged<nint, byte*, int> _getPtx;
    private readonly delegate* unmanaged<int*, int> _getNumSupportedArchs; // null before CUDA 11.2
    private readonly delegate* unmanaged<int*, int> _getSupportedArchs;
    private readonly delegate* unmanaged<nint*, int> _destroyProgram;
    private readonly delegate* unmanaged<int, byte*> _getErrorString;

    private Nvrtc(nint library, string name)
    {
        _library = name;
        nint Get(string symbol) => NativeExports.Require(library, name, symbol);
        _createProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)Get("nvrtcCreateProgram");
        _compileProgram = (delegate* unmanaged<nint, int, byte**, int>)Get("nvrtcCompileProgram");
        _getProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)Get("nvrtcGetProgramLogSize");
        _getProgramLog = (delegate* unmanaged<nint, byte*, int>)Get("nvrtcGetProgramLog");
        _getCubinSize = (delegate* unmanaged<nint, nuint*, int>)Get("nvrtcGetCUBINSize");
        _getCubin = (delegate* unmanaged<nint, byte*, int>)Get("nvrtcGetCUBIN");
        _getPtxSize = (delegate* unmanaged<nint, nuint*, int>)Get("nvrtcGetPTXSize");
        _getPtx = (delegate* unmanaged<nint, byte*, int>)Get("nvrtcGetPTX");
        if (NativeLibrary.TryGetExport(library, "nvrtcGetNumSupportedArchs", out var count)
            && NativeLibrary.TryGetExport(library, "nvrtcGetSupportedArchs", out var archs))
        {
            _getNumSupportedArchs = (delegate* unmanaged<int*, int>)count;
            _getSupportedArchs = (delegate* unmanaged<int*, int>)archs;
        }
        _destroyProgram = (delegate* unmanaged<nint*, int>)Get("nvrtcDestroyProgram");
        _getErrorString = (delegate* unmanaged<int, byte*>)Get("nvrtcGetErrorString");
    }

    /// <summary>NVRTC, or null with the reason it cannot be used.</summary>
    public static Nvrtc? TryGet(out string problem)
    {
        var (compiler, why) = Shared.Value;
        problem = why;
        return compiler;
    }

    private static (Nvrtc?, string) Load()
    {
        var library = NativeExports.TryLoad(LibraryNames, out var tried);
        if (library == 0)
            return (null, $"NVRTC is not installed (tried {tried})");
        try
        {
            return (new Nvrtc(library, tried), "");
        }
        catch (CudaException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// Compiles <paramref name="source"/> for a device of compute capability <paramref name="computeCapability"/>
    /// (major × 10 + minor). Where this NVRTC knows the device's architecture, the result is a CUBIN for exactly
    /// that architecture (sm_XY); for a device newer than this NVRTC, PTX for the newest architecture it knows
    /// below the device's (compute_XY), which the driver compiles for the device when it loads the module.
    /// </summary>
    /// <returns>The image for cuModuleLoadData and what it targets ("sm_90", "compute_90 PTX").</returns>
    public (byte[] Image, string Target) Compile(string source, string fileName, int computeCapability, IReadOnlyList<string> options)
    {
        var supported = SupportedArchitectures();
        if (supported is null || supported.Contains(computeCapability))
            return (Build(source, fileName, $"sm_{computeCapability}", options, cubin: true), $"sm_{computeCapability}");
        var below = supported.Where(a => a < computeCapability).DefaultIfEmpty(0).Max();
        if (below == 0)
            throw new CudaException("nvrtcGetSupportedArchs", -1,
                $"{_library} compiles for sm_{supported.Min()} to sm_{supported.Max()}, not for this device's sm_{computeCapability}");
        return (Build(source, fileName, $"compute_{below}", options, cubin: false), $"compute_{below} PTX");
    }

    /// <summary>The architectures this NVRTC compiles for (as 75, 80, ...), or null when it cannot say (before CUDA 11.2).</summary>
    private int[]? SupportedArchitectures()
    {
        if (_getNumSupportedArchs == null)
            return null;
        int count;
        Check(_getNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs", 0);
        var archs = new int[count];
        fixed (int* a = archs)
            Check(_getSupportedArchs(a), "nvrtcGetSupportedArchs", 0);
        return archs;
    }

    private byte[] Build(string source, string fileName, string architecture, IReadOnlyList<string> options, bool cubin)
    {
        var allOptions = options.Prepend($"--gpu-architecture={architecture}").ToArray();
        var sourceBytes = Encoding.UTF8.GetBytes(source + "\0");
        var nameBytes = Encoding.UTF8.GetBytes(fileName + "\0");
        var optionHandles = allOptions.Select(o => Marshal.StringToCoTaskMemUTF8(o)).ToArray();
        nint program = 0;
        try
        {
            fixed (byte* src = sourceBytes)
            fixed (byte* name = nameBytes)
                Check(_createProgram(&program, src, name, 0, null, null), "nvrtcCreateProgram", program);
            fixed (nint* opts = optionHandles)
                Check(_compileProgram(program, optionHandles.Length, (byte**)opts), $"nvrtcCompileProgram({fileName}, {architecture})", program);
            nuint size;
            Check(cubin ? _getCubinSize(program, &size) : _getPtxSize(program, &size), cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize", program);
            var image = new byte[(int)size]; // PTX comes null-terminated, as cuModuleLoadData wants it
            fixed (byte* p = image)
                Check(cubin ? _getCubin(program, p) : _getPtx(program, p), cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX", program);
            return image;
        }
        finally
        {
            if (program != 0)
                _ = _destroyProgram(&program);
            foreach (var handle in optionHandles)
                Marshal.FreeCoTaskMem(handle);
        }
    }

    private void Check(int result, string call, nint program)
    {
        if (result == 0)
            return;
        var text = Marshal.PtrToStringUTF8((nint)_getErrorString(result)) ?? "NVRTC_ERROR";
        var log = program != 0 ? Log(program) : "";
        throw new CudaException(call, result, $"{text} ({_library}){(log.Length > 0 ? $"; compile log:\n{log}" : "")}");
    }

    private string Log(nint program)
    {
        nuint size;
        if (_getProgramLogSize(program, &size) != 0 || size <= 1)
            return "";
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
            if (_getProgramLog(program, p) != 0)
                return "";
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1).Trim();
    }
}
