using System.Runtime.InteropServices;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The top-k search state as the kernels read it: the C# twin of <c>GearTopKState</c> in kernels/selection.cu
/// (two 64-bit words, three 32-bit fields, 32 bytes with the padding after the last, in C as in C#).
/// </summary>
/// <param name="PrefixHigh">The k-th best key's high word (the priority's bits) found so far.</param>
/// <param name="PrefixLow">Its low word (the complemented stamp) found so far.</param>
/// <param name="Remaining">How many slots matching the prefix are still to be passed over (starts at k).</param>
/// <param name="Collected">Candidates collected so far (starts at 0).</param>
/// <param name="Settled">1 once a pass has found a byte whose slots are exactly the ones still wanted (starts at 0).</param>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct DeviceTopKState(ulong PrefixHigh, ulong PrefixLow, int Remaining, int Collected, int Settled);
