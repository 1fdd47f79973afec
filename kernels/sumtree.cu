// Prioritized selection on the device: the 8-ary sum tree of Gear.Core.Compute.Cpu.CpuSumTree, with the same
// layout (levels back to back in one block of doubles, leaves first, each level padded to a multiple of 8) and
// the same arithmetic, so that the same uniforms choose the same leaves as on the CPU. Doubles throughout, as
// on the CPU; the host compiles with --fmad=false so that no sum is contracted into a different rounding.
//
// Every kernel is one independent unit of work per thread (grid-stride loops), with no shared memory,
// __syncthreads or warp shuffles; the host orders the phases by launching them one after another.

// ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)): a node's value, never adjusted by a delta.
__device__ __forceinline__ double gear_sum8(const double* c)
{
    return ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
}

// Batched update, phase 1: for every slot, the highest batch index that names it claims it (last value wins).
// owner[] holds -1 for every leaf between batches.
extern "C" __global__ void gear_tree_claim(const int* slots, int n, int* owner)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        atomicMax(owner + slots[i], i);
}

// Phase 2: the claiming entry writes its leaf.
extern "C" __global__ void gear_tree_write_leaves(const int* slots, const double* values, int n, const int* owner,
    double* leaves)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int slot = slots[i];
        if (owner[slot] == i)
            leaves[slot] = values[i];
    }
}

// Phase 3: every claim is released (owner back to -1) for the next batch.
extern "C" __global__ void gear_tree_release(const int* slots, int n, int* owner)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        owner[slots[i]] = -1;
}

// Phase 4, once per level from the leaves up: each entry recomputes its ancestor on this level from its eight
// children, which the previous launch made final. Entries that share an ancestor write the same value.
extern "C" __global__ void gear_tree_update_level(const int* slots, int n, int levelShift, const double* below,
    double* level)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int node = slots[i] >> levelShift;
        level[node] = gear_sum8(below + ((long long)node << 3));
    }
}

// Stratified sampling: choice i descends from the root with t = ((i + u_i) / n) * total, comparing t with the
// running prefixes of each node's children exactly as CpuSumTree does (see its remarks), and writes the leaf
// and its value. levelOffsets[k] is level k's first double (0 = leaves, top = root).
extern "C" __global__ void gear_tree_sample(const double* tree, const int* levelOffsets, int top,
    const double* uniforms, int n, int* slots, double* values)
{
    const double total = tree[levelOffsets[top]];
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        double t = ((i + uniforms[i]) / n) * total;
        int node = 0;
        for (int k = top - 1; k >= 0; k--)
        {
            const double* c = tree + levelOffsets[k] + ((long long)node << 3);
            double s01 = c[0] + c[1], s23 = c[2] + c[3], s45 = c[4] + c[5], s67 = c[6] + c[7];
            double p3 = s01 + s23;
            double prefixes[9] = { 0.0, c[0], s01, s01 + c[2], p3, p3 + c[4], p3 + s45, p3 + (s45 + c[6]),
                p3 + (s45 + s67) };
            int child = 0;
            for (int j = 1; j <= 8; j++)
                child += t >= prefixes[j] ? 1 : 0;
            if (child < 8)
            {
                t -= prefixes[child];
            }
            else
            {
                // Rounding left t at or past the node's sum: keep to the last non-zero child from here on.
                child = 7;
                while (child > 0 && !(c[child] > 0))
                    child--;
                t = 1.0 / 0.0; // +infinity, as on the CPU
            }
            node = (node << 3) + child;
        }
        slots[i] = node;
        values[i] = tree[node];
    }
}
