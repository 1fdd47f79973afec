using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gear.Core.Errors;

namespace Gear.Core.Compute.Cpu;

/// <summary>
/// The CPU sum tree: an 8-ary tree of doubles in which the eight children of every node fill exactly one
/// 64-byte cache line, so a descent or an update touches one line per level (7 levels above 1,000,000 leaves).
/// </summary>
/// <remarks>
/// <para>
/// Layout: one pinned, 64-byte-aligned block holding the levels back to back, leaves first. Level k has
/// ceil(n_{k-1} / 8) nodes, each level padded to a multiple of 8 doubles; the last level holds the root alone
/// (<see cref="Total"/>). The children of node j on level k are the doubles [8j, 8j + 8) of level k - 1.
/// Padding leaves are always zero and therefore never chosen.
/// </para>
/// <para>
/// Arithmetic (the CUDA backend must use the same expressions to choose the same leaves for the same randoms):
/// a node's value is recomputed from its children after every change, never adjusted by a delta, so no error
/// accumulates; it is ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)). A descent compares the target t with
/// the running prefixes p0 = c0, p1 = c0 + c1, p2 = p1 + c2, p3 = p1 + (c2 + c3), p4 = p3 + c4,
/// p5 = p3 + (c4 + c5), p6 = p3 + ((c4 + c5) + c6), p7 = the node value, and takes the first child j with
/// t &lt; p_j, continuing with t - p_{j-1}. These prefixes are non-decreasing and p_j = p_{j-1} whenever
/// c_j = 0, so a zero child is never taken. When rounding leaves t at or past p7, the descent takes the last
/// non-zero child and from there on keeps to the last non-zero child at every level. Choice i of a stratified
/// batch of n starts from t = ((i + u_i) / n) × Total.
/// </para>
/// <para>
/// Descents run in groups of 32 whose members advance one level at a time, each prefetching its next cache
/// line, so that the memory latencies of independent descents overlap instead of adding up; within a node the
/// child is found without branches (AVX2 where the machine has it, the same arithmetic in scalar code
/// otherwise). Measured for 256 choices on a 1,000,000-leaf tree (2-core Xeon VM): about 45 µs with a switch
/// per level, 17 µs branch-free, 11 µs with AVX2.
/// </para>
/// </remarks>
public sealed unsafe class CpuSumTree : IPrioritySumTree
{
    /// <summary>The largest number of leaves a tree may have (the block stays within one .NET array).</summary>
    public const int MaxCapacity = SumTreeLayout.MaxCapacity;

    // Descents advance this many samples together (see SampleStratified).
    private const int DescentGroup = 32;

    // SetBatch walks the tree a chunk of this many slots at a time, with its scratch on the stack.
    private const int UpdateChunk = 256;

    private readonly SumTreeLayout _layout;
    private double[]? _storage;
    private double* _base;
    private readonly int[] _levelOffsets; // In doubles from _base; [0] = leaves, [^1] = root.
    private readonly int _top; // Index of the root level.
    private readonly bool _avx2; // Descend with AVX2 (same arithmetic as the scalar path, measured ~30% faster).

    /// <summary>Creates a tree with <paramref name="capacity"/> leaves, all zero.</summary>
    /// <exception cref="GearException">Capacity is below 1 or above <see cref="MaxCapacity"/>.</exception>
    public CpuSumTree(int capacity)
        : this(capacity, allowSimd: true)
    {
    }

    /// <summary>Creates a tree; <paramref name="allowSimd"/> = false forces the scalar descent (for tests).</summary>
    internal CpuSumTree(int capacity, bool allowSimd)
    {
        var layout = new SumTreeLayout(capacity);
        _layout = layout;
        _levelOffsets = layout.LevelOffsets;
        _top = layout.Top;
        _avx2 = allowSimd && Avx2.IsSupported;
        // One extra cache line so the block can start on a 64-byte boundary inside the pinned array.
        _storage = GC.AllocateArray<double>(checked((int)layout.Doubles + 8), pinned: true);
        double* raw = (double*)Unsafe.AsPointer(ref _storage[0]);
        _base = (double*)(((nint)raw + 63) & ~(nint)63);
    }

    /// <inheritdoc />
    public int Capacity => _layout.Capacity;

    /// <inheritdoc />
    public double Total
    {
        get
        {
            double* b = Base;
            return b[_levelOffsets[_top]];
        }
    }

    /// <inheritdoc />
    public double Get(int slot)
    {
        double* b = Base;
        _layout.CheckSlot(slot);
        return b[slot];
    }

    /// <inheritdoc />
    /// <exception cref="GearException">The value is negative, infinite or NaN.</exception>
    public void Set(int slot, double value)
    {
        double* b = Base;
        _layout.CheckSlot(slot);
        SumTreeLayout.CheckValue(value);
        b[slot] = value;
        int node = slot;
        for (int k = 1; k <= _top; k++)
        {
            node >>= 3;
            b[_levelOffsets[k] + node] = Sum8(b + _levelOffsets[k - 1] + ((nint)node << 3));
        }
    }

    /// <inheritdoc />
    /// <remarks>Every slot and value is checked before anything changes, so a refused batch changes nothing.</remarks>
    /// <exception cref="GearException">A value is negative, infinite or NaN.</exception>
    public void SetBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> values)
    {
        double* b = Base;
        _layout.CheckBatch(slots, values);

        Span<int> nodes = stackalloc int[UpdateChunk];
        for (int start = 0; start < slots.Length; start += UpdateChunk)
        {
            int n = Math.Min(UpdateChunk, slots.Length - start);
            ReadOnlySpan<int> chunkSlots = slots.Slice(start, n);
            ReadOnlySpan<double> chunkValues = values.Slice(start, n);

            // Leaves first, in order, so that the last value written for a slot is the one that stays.
            for (int i = 0; i < n; i++)
            {
                b[chunkSlots[i]] = chunkValues[i];
                nodes[i] = chunkSlots[i];
            }

            // Then the sums, one level at a time: every node is recomputed after all its children are final.
            // Consecutive slots under the same parent (sampled batches come sorted) share one recomputation.
            for (int k = 1; k <= _top; k++)
            {
                double* level = b + _levelOffsets[k];
                double* below = b + _levelOffsets[k - 1];
                int previous = -1;
                for (int i = 0; i < n; i++)
                {
                    int parent = nodes[i] >> 3;
                    nodes[i] = parent;
                    if (parent == previous)
                    {
                        continue;
                    }

                    previous = parent;
                    level[parent] = Sum8(below + ((nint)parent << 3));
                }
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException"><see cref="Total"/> is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A uniform is outside [0, 1).</exception>
    public void SampleStratified(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> values)
    {
        double* b = Base;
        int n = uniforms.Length;
        double total = b[_levelOffsets[_top]];
        SumTreeLayout.CheckSample(uniforms, slots.Length, values.Length, total);

        bool avx2 = _avx2;
        int* node = stackalloc int[DescentGroup];
        double* target = stackalloc double[DescentGroup];
        double* prefixes = stackalloc double[9]; // [0] = 0, then the eight running prefixes of one node.
        prefixes[0] = 0.0;
        for (int start = 0; start < n; start += DescentGroup)
        {
            int g = Math.Min(DescentGroup, n - start);
            for (int j = 0; j < g; j++)
            {
                int i = start + j;
                target[j] = ((i + uniforms[i]) / n) * total;
                node[j] = 0;
            }

            for (int k = _top - 1; k >= 0; k--)
            {
                double* level = b + _levelOffsets[k];
                // Where the next level's children of a node start; on the last level, the leaf itself.
                double* next = k > 0 ? b + _levelOffsets[k - 1] : level;
                int shift = k > 0 ? 3 : 0;
                for (int j = 0; j < g; j++)
                {
                    int parent = node[j];
                    double t = target[j];
                    double* children = level + ((nint)parent << 3);
                    int child = avx2 ? DescendAvx2(children, t, prefixes) : DescendScalar(children, t, prefixes);
                    if (child < 8)
                    {
                        t -= prefixes[child];
                    }
                    else
                    {
                        child = LastNonZero(children);
                        t = double.PositiveInfinity; // Past every sum below: keep to the last non-zero child.
                    }

                    int chosen = (parent << 3) + child;
                    node[j] = chosen;
                    target[j] = t;
                    if (Sse.IsSupported)
                    {
                        Sse.Prefetch0(next + ((nint)chosen << shift));
                    }
                }
            }

            for (int j = 0; j < g; j++)
            {
                int leaf = node[j];
                Debug.Assert(leaf < Capacity && b[leaf] > 0, "A descent must end on a non-zero leaf.");
                slots[start + j] = leaf;
                values[start + j] = b[leaf];
            }
        }
    }

    /// <inheritdoc />
    public void Clear()
    {
        _ = Base;
        Array.Clear(_storage!);
    }

    /// <summary>Releases the block. Any later call throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _base = null;
        _storage = null;
    }

    /// <summary>The node value: the fixed pairwise sum of its eight children (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Sum8(double* c) => ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));

    /// <summary>
    /// Counts the running prefixes of one node's children that are at or below <paramref name="t"/> (the index
    /// of the child whose interval holds t; 8 when rounding put t at or past the node's sum) and writes the
    /// prefixes to <paramref name="prefixes"/>[1..8]. Branch-free, so that the descents of a group overlap in
    /// the pipeline; the caller reads the prefix before the chosen child back from the buffer, an indexed load
    /// instead of a data-dependent branch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DescendAvx2(double* c, double t, double* prefixes)
    {
        // The same sums as the scalar path, lane by lane (see the class remarks).
        Vector256<double> lo = Avx.LoadAlignedVector256(c);                   // c0 c1 c2 c3
        Vector256<double> hi = Avx.LoadAlignedVector256(c + 4);               // c4 c5 c6 c7
        Vector256<double> zero = Vector256<double>.Zero;
        Vector256<double> pairsLo = Avx.Add(lo, Avx.UnpackLow(zero, lo));   // c0 s01 c2 s23
        Vector256<double> pairsHi = Avx.Add(hi, Avx.UnpackLow(zero, hi));   // c4 s45 c6 s67
        Vector256<double> prefixLo = Avx.Add(pairsLo,
            Avx.Blend(zero, Avx2.Permute4x64(pairsLo, 0b01_01_00_00), 0b1100)); // c0 s01 s01+c2 s01+s23
        Vector256<double> halfHi = Avx.Add(pairsHi,
            Avx.Blend(zero, Avx2.Permute4x64(pairsHi, 0b01_01_00_00), 0b1100)); // c4 s45 s45+c6 s45+s67
        Vector256<double> prefixHi = Avx.Add(Avx2.Permute4x64(prefixLo, 0b11_11_11_11), halfHi);
        Vector256<double> target = Vector256.Create(t);
        Avx.Store(prefixes + 1, prefixLo);
        Avx.Store(prefixes + 5, prefixHi);
        uint below = (uint)(Avx.MoveMask(Avx.CompareGreaterThanOrEqual(target, prefixLo))
            | (Avx.MoveMask(Avx.CompareGreaterThanOrEqual(target, prefixHi)) << 4));
        return BitOperations.PopCount(below);
    }

    /// <summary>The scalar twin of <see cref="DescendAvx2"/>: the same sums in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DescendScalar(double* c, double t, double* prefixes)
    {
        double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5], c6 = c[6], c7 = c[7];
        double s01 = c0 + c1, s23 = c2 + c3, s45 = c4 + c5, s67 = c6 + c7;
        double p3 = s01 + s23;
        double p2 = s01 + c2;
        double p4 = p3 + c4;
        double p5 = p3 + s45;
        double p6 = p3 + (s45 + c6);
        double p7 = p3 + (s45 + s67);
        prefixes[1] = c0;
        prefixes[2] = s01;
        prefixes[3] = p2;
        prefixes[4] = p3;
        prefixes[5] = p4;
        prefixes[6] = p5;
        prefixes[7] = p6;
        prefixes[8] = p7;
        return (t >= c0 ? 1 : 0) + (t >= s01 ? 1 : 0) + (t >= p2 ? 1 : 0) + (t >= p3 ? 1 : 0)
            + (t >= p4 ? 1 : 0) + (t >= p5 ? 1 : 0) + (t >= p6 ? 1 : 0) + (t >= p7 ? 1 : 0);
    }

    /// <summary>The last non-zero child of a node whose sum is non-zero (the rounding fallback).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LastNonZero(double* c)
    {
        for (int j = 7; j > 0; j--)
        {
            if (c[j] > 0)
            {
                return j;
            }
        }

        Debug.Assert(c[0] > 0, "A node with a non-zero sum has a non-zero child.");
        return 0;
    }

    private double* Base
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            double* b = _base;
            if (b == null)
            {
                ThrowDisposed();
            }

            return b;
        }
    }

    private void ThrowDisposed() => throw new ObjectDisposedException(nameof(CpuSumTree));
}
