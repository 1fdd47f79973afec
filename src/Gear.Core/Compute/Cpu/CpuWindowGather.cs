using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cpu;

/// <summary>
/// The CPU reference gather: for each column and window, copies the window's valid steps page run by page run
/// (a run is contiguous within a page, so each is one vectorized block copy), zero-fills padding, and writes
/// the mask. Windows are independent, so any range of them can be gathered on any thread.
/// </summary>
internal static unsafe class CpuWindowGather
{
    /// <summary>Gathers windows [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="output"/>.</summary>
    public static void GatherRange(PagedStorage storage, WindowBatch output, int from, int to)
    {
        var sources = output.Sources;
        var windowLength = output.WindowLength;
        var shift = storage.PageShift;
        var inPageMask = storage.PageSteps - 1;

        for (var column = 0; column < storage.ColumnCount; column++)
        {
            var stepBytes = storage.StepBytes(column);
            var pageBytes = storage.PageBytes(column);
            var poolBase = storage.PoolBase(column);
            var windowBytes = (long)stepBytes * windowLength;
            var destination = output.ColumnPointer(column);

            if (Sse.IsSupported)
                PrefetchFirstSteps(sources, from, to, windowLength, shift, inPageMask, poolBase, pageBytes, stepBytes);

            for (var w = from; w < to; w++)
            {
                ref readonly var source = ref sources[w];
                ValidRange(in source, windowLength, out var first, out var end);
                var windowBase = destination + w * windowBytes;

                if (first > 0)
                    Unsafe.InitBlockUnaligned(windowBase, 0, (uint)(first * stepBytes));
                var position = first;
                var step = source.Start + first;
                var pageTable = source.PageTable;
                while (position < end)
                {
                    var offset = step & inPageMask;
                    var run = Math.Min(end - position, inPageMask + 1 - offset);
                    var address = poolBase + pageTable[step >> shift] * pageBytes + (long)offset * stepBytes;
                    Buffer.MemoryCopy(address, windowBase + (long)position * stepBytes, (long)run * stepBytes, (long)run * stepBytes);
                    position += run;
                    step += run;
                }
                if (end < windowLength)
                    Unsafe.InitBlockUnaligned(windowBase + (long)end * stepBytes, 0, (uint)((windowLength - end) * stepBytes));
            }
        }

        var mask = output.MaskPointer;
        for (var w = from; w < to; w++)
        {
            ValidRange(in sources[w], windowLength, out var first, out var end);
            var row = mask + (long)w * windowLength;
            for (var t = 0; t < windowLength; t++)
                row[t] = t >= first && t < end;
        }
    }

    /// <summary>
    /// Requests the first valid step of every window before copying any: small steps from random pages are
    /// latency-bound, and overlapping the misses is worth several times the copy itself. Long runs need no help,
    /// the hardware prefetcher follows them.
    /// </summary>
    private static void PrefetchFirstSteps(WindowSource[] sources, int from, int to, int windowLength, int shift, int inPageMask,
        byte* poolBase, long pageBytes, int stepBytes)
    {
        for (var w = from; w < to; w++)
        {
            ref readonly var source = ref sources[w];
            ValidRange(in source, windowLength, out var first, out var end);
            if (first >= end)
                continue;
            var step = source.Start + first;
            var address = poolBase + source.PageTable[step >> shift] * pageBytes + (long)(step & inPageMask) * stepBytes;
            Sse.Prefetch0(address);
            Sse.Prefetch0(address + stepBytes - 1);
        }
    }

    /// <summary>Positions [first, end) of the window that hold real steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ValidRange(in WindowSource source, int windowLength, out int first, out int end)
    {
        first = Math.Max(0, -source.Start);
        end = (int)Math.Clamp((long)source.TrajectoryLength - source.Start, first, windowLength);
    }
}
