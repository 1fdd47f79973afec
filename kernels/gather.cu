// Window gather: B windows x L steps of every column, from pages anywhere the device can address (pinned host
// pages mapped for zero-copy, or device pages), into one output buffer per column.
//
// Each thread owns 16 output bytes at a time (grid-stride), so consecutive threads write consecutive 16-byte
// chunks of a column's output (coalesced stores) and read consecutive bytes of one page run (coalesced loads).
// A chunk that lies inside one window, one page and the valid part of the window, with a 16-byte aligned source,
// moves as one vector load and store; a chunk that is all padding is one zero store; anything else (a chunk that
// straddles a window, a page edge or the padding edge, or an unaligned source) goes byte by byte.
//
// No shared memory, no __syncthreads, no warp shuffles: every chunk is independent of every other, which is
// what lets the host-emulation test run this kernel one thread after another (see kernels/README.md).

// One window, as the host plans it (the C# twin is Gear.Core.Compute.Cuda.DeviceWindow).
struct GearWindow
{
    int start;      // Trajectory step at position 0 (negative with head padding).
    int first;      // First valid position.
    int end;        // One past the last valid position.
    int pageOffset; // Index in the page list of the page holding step start + first.
};

// 16 bytes as one vector load and one vector store (both addresses 16-byte aligned). Inline PTX because a
// 16-byte struct copy may be split into two 8-byte moves; on the host (emulation) a plain copy of 16 bytes.
__device__ __forceinline__ void gear_copy16(const unsigned char* source, unsigned char* destination)
{
#ifdef __CUDA_ARCH__
    unsigned int a, b, c, d;
    asm volatile("ld.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(a), "=r"(b), "=r"(c), "=r"(d) : "l"(source));
    asm volatile("st.v4.u32 [%0], {%1, %2, %3, %4};" :: "l"(destination), "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
#else
    for (int i = 0; i < 16; i++)
        destination[i] = source[i];
#endif
}

__device__ __forceinline__ void gear_zero16(unsigned char* destination)
{
#ifdef __CUDA_ARCH__
    asm volatile("st.v4.u32 [%0], {%1, %1, %1, %1};" :: "l"(destination), "r"(0u) : "memory");
#else
    for (int i = 0; i < 16; i++)
        destination[i] = 0;
#endif
}

// The device address of byte `inStep` of the step at `position` of window `w`, or 0 for padding.
__device__ __forceinline__ const unsigned char* gear_source_byte(
    const GearWindow& w, long long position, long long inStep, const unsigned long long* pages, const int* pageList,
    int pageShift, long long stepBytes)
{
    if (position < w.first || position >= w.end)
        return 0;
    long long step = w.start + position;
    long long firstStep = w.start + w.first;
    int page = pageList[w.pageOffset + (int)((step >> pageShift) - (firstStep >> pageShift))];
    long long inPage = step & ((1LL << pageShift) - 1);
    return (const unsigned char*)pages[page] + inPage * stepBytes + inStep;
}

// The mask: one byte per (window, position), 1 where the position holds a real step, 0 for padding; written by
// the gather launch's last grid row, so that a gather is one launch.
__device__ __forceinline__ void gear_gather_mask(const GearWindow* windows, int count, int windowLength, unsigned char* mask)
{
    const long long total = (long long)count * windowLength;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride)
    {
        const GearWindow window = windows[i / windowLength];
        const long long position = i % windowLength;
        mask[i] = position >= window.first && position < window.end ? 1 : 0;
    }
}

// Grid: x covers the 16-byte chunks of one column's output; y is the column, and row y = columnCount the mask.
//   pageAddresses  [column * pageCount + page]: device-visible address of that page of that column
//   stepBytes      [column]
//   outputs        [column]: device-visible address of the column's output (count * windowLength steps)
//   mask           device-visible address of the mask (count * windowLength bytes)
//   windows        [count]; pageList: the page ids each window reads, from windows[w].pageOffset on
extern "C" __global__ void gear_gather(
    const unsigned long long* pageAddresses, int pageCount, const int* stepBytes, const unsigned long long* outputs,
    unsigned char* mask, int columnCount, const GearWindow* windows, const int* pageList, int count, int windowLength,
    int pageShift)
{
    const int column = blockIdx.y;
    if (column == columnCount)
    {
        gear_gather_mask(windows, count, windowLength, mask);
        return;
    }
    const long long step = stepBytes[column];
    const unsigned long long* pages = pageAddresses + (long long)column * pageCount;
    unsigned char* out = (unsigned char*)outputs[column];
    const long long windowBytes = step * windowLength;
    const long long total = windowBytes * count;
    const long long chunks = (total + 15) / 16;
    const long long stride = (long long)gridDim.x * blockDim.x;

    for (long long chunk = (long long)blockIdx.x * blockDim.x + threadIdx.x; chunk < chunks; chunk += stride)
    {
        const long long offset = chunk * 16;
        const long long w = offset / windowBytes;
        const long long inWindow = offset - w * windowBytes;
        const GearWindow window = windows[w];
        const long long firstPosition = inWindow / step;
        if (offset + 16 <= total && inWindow + 16 <= windowBytes)
        {
            const long long lastPosition = (inWindow + 15) / step;
            if (lastPosition < window.first || firstPosition >= window.end)
            {
                gear_zero16(out + offset);
                continue;
            }
            if (firstPosition >= window.first && lastPosition < window.end
                && ((window.start + firstPosition) >> pageShift) == ((window.start + lastPosition) >> pageShift))
            {
                const unsigned char* source = gear_source_byte(window, firstPosition, inWindow - firstPosition * step,
                    pages, pageList, pageShift, step);
                if (((unsigned long long)source & 15) == 0)
                {
                    gear_copy16(source, out + offset);
                    continue;
                }
            }
        }

        // The general case, byte by byte; each byte finds its own window and position.
        for (long long b = offset; b < offset + 16 && b < total; b++)
        {
            const long long bw = b / windowBytes;
            const long long inW = b - bw * windowBytes;
            const long long position = inW / step;
            const unsigned char* source = gear_source_byte(windows[bw], position, inW - position * step,
                pages, pageList, pageShift, step);
            out[b] = source ? *source : 0;
        }
    }
}
