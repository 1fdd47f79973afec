using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cpu;

/// <summary>
/// The CPU reference gather. It first plans each window once (its valid positions, and whether they are one
/// contiguous run inside one page), then copies in one of two orders, each with the source lines requested
/// ahead of the copy, because windows at random places in a large arena are bound by memory latency:
/// <list type="bullet">
/// <item>Small windows (under <see cref="WindowByWindowBytes"/> over all columns, such as W2's one-step
/// transitions) go column by column: the first column's lines of every window are requested at once, then each
/// window's lines of the next column as the window is copied in this one. Hundreds of windows of a few lines
/// each keep the most misses in flight this way, and the per-column values stay out of the inner loop.</item>
/// <item>Larger windows go window by window, every column, with the lines of the window
/// <see cref="LookAheadBytes"/> further on requested as each is copied. For W3's 64 windows of 20 steps this
/// took a sample from 11.0 to 7.9 µs against the column order; for W2 it was 30 % slower.</item>
/// </list>
/// A planned run is one block copy, sized for the column so that small steps take a few unaligned vector moves
/// instead of a call; windows that cross pages or need padding take the general path, run by page run. Windows
/// are independent, so any range of them can be gathered on any thread.
/// </summary>
internal static unsafe class CpuWindowGather
{
    /// <summary>Most bytes of one run that are prefetched by hand; longer runs are streamed by the hardware.</summary>
    private const long PrefetchBytesPerRun = 2048;

    /// <summary>Windows of at least this many bytes (all columns) are gathered window by window.</summary>
    private const long WindowByWindowBytes = 1024;

    /// <summary>Bytes of windows whose lines are requested ahead of the one being copied, window by window.</summary>
    private const long LookAheadBytes = 8192;

    /// <summary>Whole windows of at least this many bytes in one column are copied by <see cref="CopyPrefetchingNext"/>.</summary>
    private const long LargeWindowBytes = 8192;

    /// <summary>The piece of a large window copied after each request of the next window's lines.</summary>
    private const long ChunkBytes = 4096;

    /// <summary>Gathers windows [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="output"/>.</summary>
    public static void GatherRange(PagedStorage storage, WindowBatch output, int from, int to)
    {
        var windowLength = output.WindowLength;
        Plan(output.Sources, output.Runs, from, to, windowLength, storage.PageShift, storage.PageSteps - 1);
        long windowBytes = 0;
        for (var column = 0; column < storage.ColumnCount; column++)
            windowBytes += (long)storage.StepBytes(column) * windowLength;
        if (windowBytes < WindowByWindowBytes)
            GatherColumnByColumn(storage, output, from, to);
        else
            GatherWindowByWindow(storage, output, from, to, lookAhead: (int)Math.Max(1, LookAheadBytes / windowBytes));
        WriteMask(output.Runs, output.MaskPointer, from, to, windowLength);
    }

    private static void GatherColumnByColumn(PagedStorage storage, WindowBatch output, int from, int to)
    {
        var sources = output.Sources;
        var runs = output.Runs;
        var windowLength = output.WindowLength;
        var shift = storage.PageShift;
        var prefetch = Sse.IsSupported;
        if (prefetch)
        {
            for (var w = from; w < to; w++)
                PrefetchWindow(in sources[w], in runs[w], shift, storage.PoolBase(0), storage.PageBytes(0), storage.StepBytes(0));
        }

        for (var column = 0; column < storage.ColumnCount; column++)
        {
            var stepBytes = storage.StepBytes(column);
            var pageBytes = storage.PageBytes(column);
            var poolBase = storage.PoolBase(column);
            var windowBytes = (long)stepBytes * windowLength;
            var destination = output.ColumnPointer(column) + from * windowBytes;
            var prefetchNext = prefetch && column + 1 < storage.ColumnCount;
            var nextPoolBase = prefetchNext ? storage.PoolBase(column + 1) : null;
            var nextPageBytes = prefetchNext ? storage.PageBytes(column + 1) : 0;
            var nextStepBytes = prefetchNext ? storage.StepBytes(column + 1) : 0;

            for (var w = from; w < to; w++, destination += windowBytes)
            {
                ref readonly var run = ref runs[w];
                if (prefetchNext)
                    PrefetchWindow(in sources[w], in run, shift, nextPoolBase, nextPageBytes, nextStepBytes);
                if (run.Whole)
                    Copy(poolBase + run.Page * pageBytes + (long)run.InPage * stepBytes, destination, (nuint)windowBytes);
                else
                    GatherGeneral(in sources[w], in run, destination, stepBytes, windowLength, shift, pageBytes, poolBase);
            }
        }
    }

    private static void GatherWindowByWindow(PagedStorage storage, WindowBatch output, int from, int to, int lookAhead)
    {
        var sources = output.Sources;
        var runs = output.Runs;
        var windowLength = output.WindowLength;
        // Prefetching is x86's (Sse.Prefetch0 throws elsewhere): without it the copies run as they are.
        var prefetch = Sse.IsSupported;
        if (!prefetch)
            lookAhead = 0;
        for (var w = from; w < Math.Min(to, from + lookAhead); w++)
            PrefetchWindow(storage, in sources[w], in runs[w]);

        for (var w = from; w < to; w++)
        {
            if (w + lookAhead < to)
                PrefetchWindow(storage, in sources[w + lookAhead], in runs[w + lookAhead]);
            ref readonly var run = ref runs[w];
            for (var column = 0; column < storage.ColumnCount; column++)
            {
                var stepBytes = storage.StepBytes(column);
                var pageBytes = storage.PageBytes(column);
                var poolBase = storage.PoolBase(column);
                var windowBytes = (long)stepBytes * windowLength;
                var destination = output.ColumnPointer(column) + w * windowBytes;
                if (!run.Whole)
                {
                    GatherGeneral(in sources[w], in run, destination, stepBytes, windowLength, storage.PageShift, pageBytes, poolBase);
                    continue;
                }

                var source = poolBase + run.Page * pageBytes + (long)run.InPage * stepBytes;
                if (prefetch && windowBytes >= LargeWindowBytes && w + 1 < to && runs[w + 1].Whole)
                {
                    ref readonly var next = ref runs[w + 1];
                    CopyPrefetchingNext(source, destination, windowBytes, poolBase + next.Page * pageBytes + (long)next.InPage * stepBytes);
                }
                else
                {
                    Copy(source, destination, (nuint)windowBytes);
                }
            }
        }
    }

    /// <summary>
    /// Valid positions of each window; the page and offset of its first valid step; and whether the whole
    /// window is that one in-page run.
    /// </summary>
    private static void Plan(WindowSource[] sources, WindowRun[] runs, int from, int to, int windowLength, int shift, int inPageMask)
    {
        for (var w = from; w < to; w++)
        {
            ref readonly var source = ref sources[w];
            var (first, end) = source.ValidPositions(windowLength);
            if (first == end)
            {
                runs[w] = new WindowRun(first, end, 0, 0, 0, false);
                continue;
            }
            var step = source.Start + first;
            var offset = step & inPageMask;
            var runLength = Math.Min(end - first, inPageMask + 1 - offset);
            var whole = first == 0 && end == windowLength && runLength == windowLength;
            runs[w] = new WindowRun(first, end, source.PageTable[step >> shift], offset, runLength, whole);
        }
    }

    /// <summary>Requests a window's source lines in every column (see the one-column overload).</summary>
    private static void PrefetchWindow(PagedStorage storage, in WindowSource source, in WindowRun run)
    {
        for (var column = 0; column < storage.ColumnCount; column++)
            PrefetchWindow(in source, in run, storage.PageShift, storage.PoolBase(column), storage.PageBytes(column), storage.StepBytes(column));
    }

    /// <summary>
    /// Requests a window's source lines in one column (up to <see cref="PrefetchBytesPerRun"/> per page run,
    /// first two runs) ahead of its copy: runs at random places in a large arena are latency-bound, and the
    /// hardware prefetcher only catches up after the first lines of each. Overlapping those misses is worth more
    /// than the copy itself.
    /// </summary>
    private static void PrefetchWindow(in WindowSource source, in WindowRun run, int shift, byte* poolBase, long pageBytes, int stepBytes)
    {
        if (run.RunLength == 0)
            return;
        PrefetchRun(poolBase + run.Page * pageBytes + (long)run.InPage * stepBytes, (long)run.RunLength * stepBytes);
        var rest = run.End - run.First - run.RunLength;
        if (rest > 0)
        {
            // The window crosses into the next page: that run starts at the page's first step.
            var nextStep = source.Start + run.First + run.RunLength;
            PrefetchRun(poolBase + source.PageTable[nextStep >> shift] * pageBytes, (long)rest * stepBytes);
        }
    }

    private static void PrefetchRun(byte* address, long runBytes)
    {
        var bytes = Math.Min(runBytes, PrefetchBytesPerRun);
        for (long line = 0; line < bytes; line += 64)
            Sse.Prefetch0(address + line);
        Sse.Prefetch0(address + bytes - 1);
    }

    /// <summary>
    /// Copies a large whole window while requesting the same bytes of the next one, a chunk at a time. A W1
    /// observation is 28 KB at a random place in a multi-GB arena: the hardware prefetcher restarts at every
    /// 4 KiB page edge of it, so the first prefetch of <see cref="PrefetchBytesPerRun"/> alone left the copy
    /// waiting on memory; with the next window requested in step, a W1 sample took 4–6 % less time on one
    /// thread, and 20 % less with two threads sampling.
    /// </summary>
    private static void CopyPrefetchingNext(byte* source, byte* destination, long length, byte* nextSource)
    {
        for (long at = 0; at < length; at += ChunkBytes)
        {
            var chunk = Math.Min(ChunkBytes, length - at);
            for (long line = 0; line < chunk; line += 64)
                Sse.Prefetch0(nextSource + at + line);
            Buffer.MemoryCopy(source + at, destination + at, chunk, chunk);
        }
    }

    /// <summary>A window that crosses pages or needs padding: zero the padding, copy page run by page run.</summary>
    private static void GatherGeneral(in WindowSource source, in WindowRun run, byte* destination, int stepBytes, int windowLength,
        int shift, long pageBytes, byte* poolBase)
    {
        var pageSteps = 1 << shift;
        if (run.First > 0)
            Unsafe.InitBlockUnaligned(destination, 0, (uint)(run.First * stepBytes));
        var position = run.First;
        var step = source.Start + run.First;
        while (position < run.End)
        {
            var offset = step & (pageSteps - 1);
            var length = Math.Min(run.End - position, pageSteps - offset);
            var address = poolBase + source.PageTable[step >> shift] * pageBytes + (long)offset * stepBytes;
            Buffer.MemoryCopy(address, destination + (long)position * stepBytes, (long)length * stepBytes, (long)length * stepBytes);
            position += length;
            step += length;
        }
        if (run.End < windowLength)
            Unsafe.InitBlockUnaligned(destination + (long)run.End * stepBytes, 0, (uint)((windowLength - run.End) * stepBytes));
    }

    private static void WriteMask(WindowRun[] runs, bool* mask, int from, int to, int windowLength)
    {
        var writer = new MaskWriter(mask, windowLength, from);
        for (var w = from; w < to; w++)
            writer.Window(w, runs[w].First, runs[w].End);
        writer.Finish(to);
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes. Up to 128 bytes it uses overlapping unaligned moves of the largest
    /// fitting width (a W2 observation, 68 bytes, was a call to memmove per window, about 3% of a W2 sample); the
    /// branch is the same for every window of a column, so it predicts perfectly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(byte* source, byte* destination, nuint length)
    {
        if (length > 128)
        {
            Buffer.MemoryCopy(source, destination, length, length);
        }
        else if (length > 64)
        {
            // Loads before stores: the two halves overlap by 128 - length bytes.
            var firstLow = Vector256.Load(source);
            var firstHigh = Vector256.Load(source + 32);
            var lastLow = Vector256.Load(source + length - 64);
            var lastHigh = Vector256.Load(source + length - 32);
            Vector256.Store(firstLow, destination);
            Vector256.Store(firstHigh, destination + 32);
            Vector256.Store(lastLow, destination + length - 64);
            Vector256.Store(lastHigh, destination + length - 32);
        }
        else if (length >= 32)
        {
            Vector256.Store(Vector256.Load(source), destination);
            Vector256.Store(Vector256.Load(source + length - 32), destination + length - 32);
        }
        else if (length >= 16)
        {
            Vector128.Store(Vector128.Load(source), destination);
            Vector128.Store(Vector128.Load(source + length - 16), destination + length - 16);
        }
        else if (length >= 8)
        {
            Unsafe.WriteUnaligned(destination, Unsafe.ReadUnaligned<ulong>(source));
            Unsafe.WriteUnaligned(destination + length - 8, Unsafe.ReadUnaligned<ulong>(source + length - 8));
        }
        else if (length >= 4)
        {
            Unsafe.WriteUnaligned(destination, Unsafe.ReadUnaligned<uint>(source));
            Unsafe.WriteUnaligned(destination + length - 4, Unsafe.ReadUnaligned<uint>(source + length - 4));
        }
        else if (length > 0)
        {
            destination[0] = source[0];
            destination[length - 1] = source[length - 1];
            destination[length / 2] = source[length / 2];
        }
    }
}

/// <summary>
/// A window's plan: valid positions [First, End); the page and in-page offset of the first valid step and the
/// length of the run from there to the end of the page or of the valid part; and whether that run is the
/// whole window (no padding, no page crossing).
/// </summary>
internal readonly record struct WindowRun(int First, int End, int Page, int InPage, int RunLength, bool Whole);
