namespace Gear.Core.Compute.Cuda;

/// <summary>The device kernels the backend launches (each an <c>extern "C" __global__</c> function in kernels/*.cu).</summary>
internal enum Kernel
{
    /// <summary>gather.cu: gear_gather.</summary>
    Gather,

    /// <summary>gather.cu: gear_gather_mask.</summary>
    GatherMask,

    /// <summary>sumtree.cu: gear_tree_claim.</summary>
    TreeClaim,

    /// <summary>sumtree.cu: gear_tree_write_leaves.</summary>
    TreeWriteLeaves,

    /// <summary>sumtree.cu: gear_tree_release.</summary>
    TreeRelease,

    /// <summary>sumtree.cu: gear_tree_update_level.</summary>
    TreeUpdateLevel,

    /// <summary>sumtree.cu: gear_tree_sample.</summary>
    TreeSample,
}
