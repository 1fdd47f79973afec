using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Storage;

namespace Gear.Core.Compute;

/// <summary>The outcome of one backend comparison: whether the candidate agreed, and what was compared or where it differed.</summary>
/// <param name="Name">The comparison ("sum-tree", "gather").</param>
/// <param name="Passed">Whether every result agreed.</param>
/// <param name="Detail">What was compared, or the first difference.</param>
public readonly record struct BackendComparisonResult(string Name, bool Passed, string Detail);

/// <summary>
/// Checks a backend against the CPU reference on random inputs from a seed: sum trees (random batched updates
/// with duplicate slots, zeros and values over many magnitudes; totals and leaves bit-equal; stratified samples
/// from the same uniforms index-equal and value-equal) and gathers (random arenas, page sizes, trajectories,
/// and windows with head and tail padding over columns of awkward step sizes, from pages of both tiers, with
/// pages rewritten between gathers; outputs byte-equal, with the
/// candidate's buffers poisoned first so that an unwritten byte shows; on a device backend also into a
/// <see cref="DeviceBatch"/>'s device outputs), and whole tables (<see cref="TableComparison"/>). Used by the tests (on the host emulation
/// and on a GPU) and by <c>gear selftest --device cuda</c>.
/// </summary>
public static class BackendComparison
{
    private const byte Poison = 0xCD;

    /// <summary>
    /// Runs every comparison of <paramref name="candidate"/> against the CPU backend (whole tables included:
    /// <see cref="TableComparison"/>), and for a device backend its selection kernels and device selectors against
    /// the CPU's selectors (<see cref="SelectionComparison"/>).
    /// </summary>
    public static IReadOnlyList<BackendComparisonResult> Run(IComputeBackend candidate, int seed)
    {
        using var reference = new CpuBackend();
        BackendComparisonResult[] results =
            [CompareSumTrees(reference, candidate, seed), CompareGathers(reference, candidate, seed), TableComparison.Compare(candidate, seed)];
        return candidate is DeviceBackend device
            ?
            [
                .. results, CompareGathers(reference, candidate, seed, deviceOutput: true), CompareGathers(reference, candidate, seed, queued: true),
                TableComparison.Compare(candidate, seed, queued: true), .. SelectionComparison.Run(device, seed),
            ]
            : results;
    }

    /// <summary>Sum trees of several capacities, updated and sampled alike on both backends.</summary>
    public static BackendComparisonResult CompareSumTrees(IComputeBackend reference, IComputeBackend candidate, int seed)
    {
        const string name = "sum-tree";
        var random = new Random(seed);
        var samples = 0;
        foreach (var capacity in new[] { 1, 8, 9, 777, 4096 + 3, 100_000 })
        {
            using var expected = reference.CreateSumTree(capacity);
            using var actual = candidate.CreateSumTree(capacity);
            for (var round = 0; round < 4; round++)
            {
                // Slots drawn from a narrow range in some rounds, so that batches repeat slots (last value wins).
                var range = round % 2 == 0 ? capacity : Math.Min(capacity, 16);
                var n = random.Next(1, 600);
                var slots = new int[n];
                var values = new double[n];
                for (var i = 0; i < n; i++)
                {
                    slots[i] = random.Next(range);
                    values[i] = random.Next(8) == 0 ? 0.0 : Math.Exp(random.NextDouble() * 40 - 20);
                }
                if (round == 3)
                    Array.Sort(slots, values); // sampled batches come back sorted
                expected.SetBatch(slots, values);
                actual.SetBatch(slots, values);
                var single = random.Next(capacity);
                var singleValue = random.NextDouble();
                expected.Set(single, singleValue);
                actual.Set(single, singleValue);

                if (BitConverter.DoubleToInt64Bits(expected.Total) != BitConverter.DoubleToInt64Bits(actual.Total))
                    return new(name, false, $"capacity {capacity}, round {round}: total {actual.Total:R}, expected {expected.Total:R}");
                foreach (var slot in slots.Take(8).Append(single))
                {
                    if (BitConverter.DoubleToInt64Bits(expected.Get(slot)) != BitConverter.DoubleToInt64Bits(actual.Get(slot)))
                        return new(name, false, $"capacity {capacity}, round {round}: leaf {slot} is {actual.Get(slot):R}, expected {expected.Get(slot):R}");
                }
                if (!(expected.Total > 0))
                    continue;

                var draws = random.Next(1, 300);
                var uniforms = new double[draws];
                for (var i = 0; i < draws; i++)
                    uniforms[i] = random.NextDouble();
                uniforms[0] = 0.0;
                uniforms[^1] = Math.BitDecrement(1.0); // the rounding edge: a target at the very end of the tree
                var expectedSlots = new int[draws];
                var actualSlots = new int[draws];
                var expectedValues = new double[draws];
                var actualValues = new double[draws];
                expected.SampleStratified(uniforms, expectedSlots, expectedValues);
                actual.SampleStratified(uniforms, actualSlots, actualValues);
                for (var i = 0; i < draws; i++)
                {
                    if (expectedSlots[i] != actualSlots[i] || BitConverter.DoubleToInt64Bits(expectedValues[i]) != BitConverter.DoubleToInt64Bits(actualValues[i]))
                        return new(name, false, $"capacity {capacity}, round {round}: choice {i} (u = {uniforms[i]:R}) is slot {actualSlots[i]} = {actualValues[i]:R}, expected slot {expectedSlots[i]} = {expectedValues[i]:R}");
                }
                samples += draws;
            }
            expected.Clear();
            actual.Clear();
            if (actual.Total != 0 || actual.Get(capacity - 1) != 0)
                return new(name, false, $"capacity {capacity}: Clear left total {actual.Total:R}");
        }
        return new(name, true, $"6 capacities up to 100,000 leaves: totals and leaves bit-equal, {samples} stratified choices index-equal");
    }

    // Window lengths of the gather comparison: from L = 16 the widest column's window (320 bytes a step) is more than
    // one warp's tile of the device gather (DeviceGather.TileBytes, 4 KB); at L = 64 it is five, so tile edges fall
    // inside page runs of every page size.
    private static readonly int[] WindowLengths = [1, 5, 16, 33, 64];

    /// <summary>
    /// Gathers of random windows from random arenas, byte-compared; with <paramref name="deviceOutput"/>, the
    /// candidate (a device backend) gathers into a <see cref="DeviceBatch"/>'s device outputs, which are poisoned
    /// there and copied back to be compared; with <paramref name="queued"/> as well, two such gathers are queued
    /// (<see cref="DeviceBatch.SampleQueuedAsync"/>'s path) before either is waited for, so that each must keep its
    /// own plan while the other is queued.
    /// </summary>
    public static unsafe BackendComparisonResult CompareGathers(IComputeBackend reference, IComputeBackend candidate, int seed, bool deviceOutput = false, bool queued = false)
    {
        var name = queued ? "queued-device-batch-gather" : deviceOutput ? "device-batch-gather" : "gather";
        deviceOutput |= queued;
        var random = new Random(seed);
        ColumnSpec[] columns =
        [
            new("done", DType.Bool), new("rgb", DType.U8, 3), new("reward", DType.F32), new("obs", DType.F32, 4),
            new("odd", DType.U8, 17), new("wide", DType.F64, 40), new("step", DType.I64),
        ];
        var windows = 0;
        foreach (var pageSteps in new[] { 1, 4, 16 })
        {
            // A device tier of 40 of the 96 pages, so that windows read both tiers (the CPU backend ignores it).
            var bytesPerPage = columns.Sum(c => (long)c.StepBytes) * pageSteps;
            using var storage = new PagedStorage(columns, pageSteps, pageCount: 96, deviceTierBytes: 40 * bytesPerPage);
            for (var c = 0; c < columns.Length; c++)
                random.NextBytes(new Span<byte>(storage.PoolBase(c), checked((int)(storage.PageBytes(c) * storage.PageCount))));
            var trajectories = RandomTrajectories(random, storage);
            foreach (var windowLength in WindowLengths)
            {
                RewriteRandomSteps(random, storage); // as inserts do between samples: the device copies must follow
                var gathers = Enumerable.Range(0, queued ? 2 : 1)
                    .Select(_ => RandomGather(random, reference, candidate, storage, columns, trajectories, windowLength, deviceOutput)).ToArray();
                try
                {
                    foreach (var gather in gathers)
                    {
                        if (queued)
                            gather.OnDevice!.QueueGather(storage);
                        else
                            candidate.Gather(storage, gather.Actual);
                    }
                    foreach (var gather in gathers)
                    {
                        gather.OnDevice?.WaitForGather();
                        if (FirstDifference(gather, columns) is { } difference)
                            return new(name, false, $"{pageSteps}-step pages, L = {windowLength}{difference}");
                        windows += gather.Expected.Count;
                    }
                }
                finally
                {
                    foreach (var gather in gathers)
                        gather.Dispose();
                }
            }
        }
        var into = queued ? ", into device memory, two queued at a time" : deviceOutput ? ", into device memory" : "";
        return new(name, true, $"{windows} windows over 3 page sizes, {WindowLengths.Length} lengths, 7 columns (1 to 320 bytes a step) and both memory tiers{into}: bytes and masks equal");
    }

    /// <summary>One gather to compare: the reference's result, and the candidate's batch (poisoned, not yet gathered).</summary>
    private sealed class ComparedGather(WindowBatch expected, WindowBatch? onHost, DeviceBatch? onDevice) : IDisposable
    {
        public WindowBatch Expected => expected;

        public DeviceBatch? OnDevice => onDevice;

        public WindowBatch Actual => onDevice?.Windows ?? onHost!;

        public void Dispose()
        {
            expected.Dispose();
            onHost?.Dispose();
            onDevice?.Dispose();
        }
    }

    /// <summary>Random windows (head and tail padding, empty ones), gathered by the reference; the candidate's batch poisoned.</summary>
    private static unsafe ComparedGather RandomGather(Random random, IComputeBackend reference, IComputeBackend candidate, PagedStorage storage,
        ColumnSpec[] columns, (int[] Pages, int Length)[] trajectories, int windowLength, bool deviceOutput)
    {
        var batchSize = random.Next(1, 48);
        var gather = new ComparedGather(
            new WindowBatch(columns, batchSize, windowLength),
            deviceOutput ? null : new WindowBatch(columns, batchSize, windowLength),
            deviceOutput ? DeviceBatch.Create(candidate, columns, batchSize, windowLength) : null);
        var (expected, actual) = (gather.Expected, gather.Actual);
        for (var w = 0; w < batchSize; w++)
        {
            var (pages, length) = trajectories[random.Next(trajectories.Length)];
            // Starts from fully before the trajectory to fully after it: head and tail padding, and empty windows.
            var start = random.Next(-windowLength, length + 2);
            expected.Sources[w] = actual.Sources[w] = new WindowSource(pages, 0, start, length);
        }
        expected.Count = actual.Count = batchSize;
        gather.OnDevice?.Poison(Poison);
        if (actual.HasHostBuffers)
        {
            for (var c = 0; c < columns.Length; c++)
                new Span<byte>(actual.ColumnPointer(c), batchSize * actual.WindowBytes(c)).Fill(Poison);
            new Span<byte>(actual.MaskPointer, batchSize * windowLength).Fill(Poison);
        }
        reference.Gather(storage, expected);
        return gather;
    }

    /// <summary>Where the candidate's gathered columns or mask first differ from the reference's, or null.</summary>
    private static unsafe string? FirstDifference(ComparedGather gather, ColumnSpec[] columns)
    {
        var (expected, actual, onDevice) = (gather.Expected, gather.Actual, gather.OnDevice);
        for (var c = 0; c < columns.Length; c++)
        {
            Span<byte> gathered;
            if (onDevice is null)
            {
                gathered = actual.Column(c);
            }
            else
            {
                gathered = new byte[expected.Column(c).Length];
                onDevice.CopyColumnToHost(c, gathered);
            }
            var difference = expected.Column(c).CommonPrefixLength(gathered);
            if (difference < expected.Column(c).Length)
                return $", column '{columns[c].Name}': byte {difference} (window {difference / expected.WindowBytes(c)}) differs";
        }
        var positions = expected.Count * expected.WindowLength;
        ReadOnlySpan<byte> mask;
        if (onDevice is null)
        {
            mask = new ReadOnlySpan<byte>(actual.MaskPointer, positions);
        }
        else
        {
            var copied = new bool[positions];
            onDevice.CopyMaskToHost(copied);
            mask = System.Runtime.InteropServices.MemoryMarshal.AsBytes(copied.AsSpan());
        }
        var maskDifference = MemoryExtensions.CommonPrefixLength(new ReadOnlySpan<byte>(expected.MaskPointer, positions), mask);
        return maskDifference < positions ? $": mask position {maskDifference} differs" : null;
    }

    /// <summary>Rewrites a few random step ranges of random pages in host memory and reports them, as an insert does.</summary>
    private static unsafe void RewriteRandomSteps(Random random, PagedStorage storage)
    {
        for (var i = 0; i < 8; i++)
        {
            var column = random.Next(storage.ColumnCount);
            var page = random.Next(storage.PageCount);
            var first = random.Next(storage.PageSteps);
            var steps = random.Next(1, storage.PageSteps - first + 1);
            random.NextBytes(new Span<byte>(storage.StepAddress(column, page, first), steps * storage.StepBytes(column)));
            storage.NotifyWritten(column, page, first, steps);
        }
    }

    /// <summary>Trajectories of random lengths whose page tables name random pages of the arena.</summary>
    private static (int[] Pages, int Length)[] RandomTrajectories(Random random, PagedStorage storage)
    {
        var result = new (int[], int)[12];
        for (var t = 0; t < result.Length; t++)
        {
            var length = random.Next(1, 50);
            var pages = new int[(length + storage.PageSteps - 1) / storage.PageSteps];
            for (var p = 0; p < pages.Length; p++)
                pages[p] = random.Next(storage.PageCount);
            result[t] = (pages, length);
        }
        return result;
    }
}
