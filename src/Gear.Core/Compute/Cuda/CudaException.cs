namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A CUDA driver or NVRTC call that failed: the message names the call and the library's own error name and
/// text (and, for a failed kernel compile, NVRTC's log).
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates an exception for <paramref name="call"/> that returned <paramref name="code"/>.</summary>
    public CudaException(string call, int code, string detail)
        : base($"{call} failed: {detail} ({code})")
    {
    }
}
