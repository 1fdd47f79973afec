using System.Runtime.InteropServices;

namespace Gear.Core.Compute.Cuda;

/// <summary>Loads a native library by the first of several names that exists, and resolves its exports.</summary>
internal static class NativeExports
{
    /// <summary>The handle of the first of <paramref name="names"/> that loads, or 0 (and which were tried).</summary>
    public static nint TryLoad(IEnumerable<string> names, out string tried)
    {
        var attempted = new List<string>();
        foreach (var name in names)
        {
            attempted.Add(name);
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                tried = name;
                return handle;
            }
        }
        tried = string.Join(", ", attempted);
        return 0;
    }

    /// <summary>The address of <paramref name="symbol"/>; a missing export is a <see cref="CudaException"/> naming it.</summary>
    public static nint Require(nint library, string libraryName, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out var address)
            ? address
            : throw new CudaException(symbol, -1, $"{libraryName} has no export '{symbol}' (driver or toolkit too old)");
}
