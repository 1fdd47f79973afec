namespace Gear.Core.Compute.Cuda;

/// <summary>The device kernels the backend launches (each an <c>extern "C" __global__</c> function in kernels/*.cu).</summary>
internal enum Kernel
{
    /// <summary>gather.cu: gear_gather (every column and the mask).</summary>
    Gather,

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

    /// <summary>selection.cu: gear_weights_partial_min.</summary>
    WeightsPartialMin,

    /// <summary>selection.cu: gear_weights_min.</summary>
    WeightsMin,

    /// <summary>selection.cu: gear_weights.</summary>
    Weights,

    /// <summary>selection.cu: gear_uniform_pick.</summary>
    UniformPick,

    /// <summary>selection.cu: gear_topk_histogram.</summary>
    TopKHistogram,

    /// <summary>selection.cu: gear_topk_merge.</summary>
    TopKMerge,

    /// <summary>selection.cu: gear_topk_narrow.</summary>
    TopKNarrow,

    /// <summary>selection.cu: gear_topk_collect.</summary>
    TopKCollect,

    /// <summary>selection.cu: gear_topk_rank.</summary>
    TopKRank,

    /// <summary>selection.cu: gear_scatter.</summary>
    Scatter,
}
