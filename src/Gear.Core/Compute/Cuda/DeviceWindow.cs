using System.Runtime.InteropServices;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// One window as the gather kernel reads it: the C# twin of <c>GearWindow</c> in kernels/gather.cu (four 32-bit
/// fields, 16 bytes, no padding).
/// </summary>
/// <param name="Start">Trajectory step at position 0 (negative with head padding).</param>
/// <param name="First">First valid position.</param>
/// <param name="End">One past the last valid position.</param>
/// <param name="PageOffset">Index in the gather's page list of the page that holds step Start + First.</param>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct DeviceWindow(int Start, int First, int End, int PageOffset);
