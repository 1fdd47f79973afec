namespace Gear.Core.Compute.Cuda;

/// <summary>How many threads a grid-stride kernel is launched with for a given amount of work.</summary>
internal static class LaunchShape
{
    /// <summary>Threads per block: a multiple of the warp size that suits every architecture since sm_50.</summary>
    public const uint BlockThreads = 256;

    /// <summary>
    /// Most blocks per launch: beyond this each thread loops (grid-stride), which costs nothing on the device and
    /// bounds the launch for huge inputs.
    /// </summary>
    public const long MaxBlocks = 4096;

    /// <summary>Blocks for <paramref name="items"/> independent units of work, one per thread up to the cap.</summary>
    public static uint Blocks(long items) => (uint)Math.Clamp((items + BlockThreads - 1) / BlockThreads, 1, MaxBlocks);
}
