// Window gather: B windows x L steps of every column, from pages anywhere the device can address (pinned host
// pages mapped for zero-copy, or device pages), into one output buffer per column.
//
// Warps map to work, not bytes: grid y is the column (and one more row for the mask); each warp of grid x takes one
// (window, tile), a window's output cut into tiles of `tileBytes`, so that many small windows or tiny columns cost
// a warp each, not a block, and a long window spreads over many warps. A window's output is a few segments, each
// contiguous on both sides: head padding, one run of steps per page it reads (consecutive steps of one page are
// consecutive bytes of that page), tail padding. A warp walks the segments that meet its tile, with one division
// to find the first and shifts and multiplications after, and its lanes copy (or zero) each segment's part inside
// the tile together: consecutive lanes move consecutive 16 bytes (coalesced loads and stores), each lane issuing
// up to GEAR_VECTORS_IN_FLIGHT loads before its first store, so that it waits for one round trip per group (over
// the bus, for zero-copy pages), not one per vector. Where source and destination are not 16-byte aligned alike (tiny or
// odd-sized steps), the segment moves byte by byte, each lane loading all its bytes of the group before storing any.
//
// No shared memory, no __syncthreads, no warp shuffles: the lanes of a warp share a segment only by dividing its
// bytes, every byte written by one lane, which is what lets the host-emulation test run this kernel one thread
// after another (see kernels/README.md).

// One window, as the host plans it (the C# twin is Gear.Core.Compute.Cuda.DeviceWindow).
struct GearWindow
{
    int start;      // Trajectory step at position 0 (negative with head padding).
    int first;      // First valid position.
    int end;        // One past the last valid position.
    int pageOffset; // Index in the page list of the page holding step start + first.
};

#define GEAR_WARP 32
// 8 x 16 bytes per lane, 4 KB per warp per round trip: on an H100 a W4 gather from device pages took 24.5 us in
// the kernel with 4 in flight and 2 KB tiles, 14.2 us (0.79 x the device's copy bandwidth) with 8 and 4 KB tiles
// (timed by events, bench/RESULTS.md); more in flight or larger tiles did not help. DeviceGather.TileBytes follows it.
#define GEAR_VECTORS_IN_FLIGHT 8
#define GEAR_BYTES_IN_FLIGHT 16

// 16 bytes, loaded and stored as one vector. alignas(16): on the host the emulation's alignment sanitizer then
// traps a misaligned vector access as a GPU would fault on it.
struct alignas(16) GearVector
{
    unsigned int x, y, z, w;
};

// Inline PTX because a 16-byte struct copy may be split into two 8-byte moves.
__device__ __forceinline__ GearVector gear_load16(const unsigned char* source)
{
#ifdef __CUDA_ARCH__
    GearVector v;
    asm volatile("ld.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(source));
    return v;
#else
    // Member by member: the sanitizer checks member accesses against the struct's alignment (a whole-struct copy it lets pass).
    const GearVector* vector = (const GearVector*)source;
    return GearVector{vector->x, vector->y, vector->z, vector->w};
#endif
}

__device__ __forceinline__ void gear_store16(unsigned char* destination, GearVector v)
{
#ifdef __CUDA_ARCH__
    asm volatile("st.v4.u32 [%0], {%1, %2, %3, %4};" :: "l"(destination), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w) : "memory");
#else
    GearVector* vector = (GearVector*)destination;
    vector->x = v.x; vector->y = v.y; vector->z = v.z; vector->w = v.w;
#endif
}

// Copies `bytes` from `source` to `destination` (source null: writes zeros) with the warp's lanes.
__device__ __forceinline__ void gear_warp_copy(const unsigned char* source, unsigned char* destination, long long bytes, int lane)
{
    const long long threads = GEAR_WARP;
    const long long misalignment = (long long)((unsigned long long)destination & 15);
    const bool vectors = source == 0 || (((unsigned long long)source & 15) == (unsigned long long)misalignment);
    // Bytes before the first 16-byte aligned destination byte, the aligned vectors, the bytes after: or all bytes.
    const long long head = vectors ? (misalignment == 0 ? 0 : (16 - misalignment < bytes ? 16 - misalignment : bytes)) : bytes;
    const long long count = vectors ? (bytes - head) >> 4 : 0;
    const long long tail = bytes - head - count * 16;

    for (long long group = lane; group < count; group += threads * GEAR_VECTORS_IN_FLIGHT)
    {
        GearVector v[GEAR_VECTORS_IN_FLIGHT];
#pragma unroll
        for (int k = 0; k < GEAR_VECTORS_IN_FLIGHT; k++)
        {
            const long long i = group + k * threads;
            v[k] = source != 0 && i < count ? gear_load16(source + head + i * 16) : GearVector{0, 0, 0, 0};
        }
#pragma unroll
        for (int k = 0; k < GEAR_VECTORS_IN_FLIGHT; k++)
        {
            const long long i = group + k * threads;
            if (i < count)
                gear_store16(destination + head + i * 16, v[k]);
        }
    }

    // The unaligned bytes (the head, then the tail after the vectors), GEAR_BYTES_IN_FLIGHT loads per thread before
    // its stores; unrolled, so that the bytes stay in registers and the loads are issued back to back.
    const long long single = head + tail;
    for (long long group = lane; group < single; group += threads * GEAR_BYTES_IN_FLIGHT)
    {
        unsigned char b[GEAR_BYTES_IN_FLIGHT];
#pragma unroll
        for (int k = 0; k < GEAR_BYTES_IN_FLIGHT; k++)
        {
            const long long i = group + k * threads;
            b[k] = source != 0 && i < single ? source[i < head ? i : i + count * 16] : 0;
        }
#pragma unroll
        for (int k = 0; k < GEAR_BYTES_IN_FLIGHT; k++)
        {
            const long long i = group + k * threads;
            if (i < single)
                destination[i < head ? i : i + count * 16] = b[k];
        }
    }
}

// The part of output range [from, to) of the window (source: where byte `from` comes from, or null for padding)
// that lies in the tile [tileFrom, tileTo), copied by the warp.
__device__ __forceinline__ void gear_tile_segment(const unsigned char* source, unsigned char* window, long long from,
    long long to, long long tileFrom, long long tileTo, int lane)
{
    const long long begin = from > tileFrom ? from : tileFrom;
    const long long end = to < tileTo ? to : tileTo;
    if (begin < end)
        gear_warp_copy(source ? source + (begin - from) : 0, window + begin, end - begin, lane);
}

// The mask: one byte per (window, position), 1 where the position holds a real step, 0 for padding; written by
// the gather launch's last grid row, each window's positions by the warp of its first tile.
__device__ __forceinline__ void gear_gather_mask(const GearWindow& window, int windowLength, unsigned char* mask, int lane)
{
    for (int position = lane; position < windowLength; position += GEAR_WARP)
        mask[position] = position >= window.first && position < window.end ? 1 : 0;
}

// Grid: x covers the warps, warp (blockIdx.x * warps per block + warp in block) = window * tilesPerWindow + tile (the
// rest idle); y is the column, and row y = columnCount the mask. Blocks are a whole number of warps.
//   pageAddresses  [column * pageCount + page]: device-visible address of that page of that column
//   stepBytes      [column]
//   outputs        [column]: device-visible address of the column's output (count * windowLength steps)
//   mask           device-visible address of the mask (count * windowLength bytes)
//   windows        [count]; pageList: the page ids each window reads, from windows[w].pageOffset on
//   tileBytes      bytes of a window's output per warp (a multiple of 16); tilesPerWindow: enough for the widest column
extern "C" __global__ void gear_gather(
    const unsigned long long* pageAddresses, int pageCount, const int* stepBytes, const unsigned long long* outputs,
    unsigned char* mask, int columnCount, const GearWindow* windows, const int* pageList, int count, int windowLength,
    int pageShift, long long tileBytes, int tilesPerWindow)
{
    const int lane = threadIdx.x & (GEAR_WARP - 1);
    const unsigned int unit = blockIdx.x * (blockDim.x / GEAR_WARP) + threadIdx.x / GEAR_WARP;
    const int w = (int)(unit / (unsigned int)tilesPerWindow);
    const int tile = (int)(unit - (unsigned int)w * (unsigned int)tilesPerWindow);
    if (w >= count)
        return;
    const GearWindow window = windows[w];
    const int column = blockIdx.y;
    if (column == columnCount)
    {
        if (tile == 0)
            gear_gather_mask(window, windowLength, mask + (long long)w * windowLength, lane);
        return;
    }

    const long long step = stepBytes[column];
    const long long windowBytes = step * windowLength;
    const long long tileFrom = tile * tileBytes;
    if (tileFrom >= windowBytes)
        return; // a narrower column than the widest needs fewer tiles
    const long long tileTo = tileFrom + tileBytes < windowBytes ? tileFrom + tileBytes : windowBytes;
    unsigned char* out = (unsigned char*)outputs[column] + w * windowBytes;
    const unsigned long long* pages = pageAddresses + (long long)column * pageCount;

    gear_tile_segment(0, out, 0, window.first * step, tileFrom, tileTo, lane);
    // One run per page: positions [position, runEnd) are consecutive steps of one page. Only the runs that meet the
    // tile, from the position holding its first byte (one division per warp), so that a long window of small pages
    // costs each warp its own runs, not all of them.
    const long long pageSteps = 1LL << pageShift;
    const long long firstPage = (window.start + window.first) >> pageShift;
    const long long tileFirstPosition = tileFrom / step;
    long long position = tileFirstPosition > window.first ? tileFirstPosition : window.first;
    while (position < window.end && position * step < tileTo)
    {
        const long long trajectoryStep = window.start + position;
        const long long inPage = trajectoryStep & (pageSteps - 1);
        const long long runEnd = position + (pageSteps - inPage) < window.end ? position + (pageSteps - inPage) : window.end;
        const int page = pageList[window.pageOffset + (int)((trajectoryStep >> pageShift) - firstPage)];
        gear_tile_segment((const unsigned char*)pages[page] + inPage * step, out, position * step, runEnd * step, tileFrom, tileTo, lane);
        position = runEnd;
    }
    gear_tile_segment(0, out, window.end * step, windowBytes, tileFrom, tileTo, lane);
}
