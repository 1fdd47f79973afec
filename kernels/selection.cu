// Selection on the device beside the sum tree (sumtree.cu): importance weights, uniform slot picks and top-k,
// each matching its reference in Gear.Core.Selection (ImportanceWeights, SlotSet.Pick under UniformSelector,
// TopKSelector). Every kernel is one independent unit of work per thread (grid-stride loops) with no shared
// memory, __syncthreads or warp shuffles; where a result needs the whole input (a batch minimum, a k-th best),
// the host launches phases one after another, and the single-thread phases run with a grid of one thread.

// ---- Importance weights: w_i = (P_min / P(i))^β, which is (N·P(i))^-β over the batch maximum (see
// ImportanceWeights: N cancels, and this form cannot overflow). Three phases: partial minima, the minimum, powers.

// Phase 1: thread t writes the minimum of probabilities t, t + T, t + 2T, ... (T threads; +infinity for none).
extern "C" __global__ void gear_weights_partial_min(const double* probabilities, int n, double* partial)
{
    int thread = blockIdx.x * blockDim.x + threadIdx.x;
    double smallest = 1.0 / 0.0;
    for (int i = thread; i < n; i += gridDim.x * blockDim.x)
        smallest = probabilities[i] < smallest ? probabilities[i] : smallest;
    partial[thread] = smallest;
}

// Phase 2, one thread: the minimum of the partial minima. A minimum is exact whatever the order of the inputs.
extern "C" __global__ void gear_weights_min(const double* partial, int count, double* smallest)
{
    double result = 1.0 / 0.0;
    for (int i = 0; i < count; i++)
        result = partial[i] < result ? partial[i] : result;
    smallest[0] = result;
}

// Phase 3: the quotient rounds exactly as on the CPU; pow(x, 0) is exactly 1 and pow(1, β) exactly 1, so β = 0
// gives ones and the batch's least likely items weigh exactly 1, as on the CPU.
extern "C" __global__ void gear_weights(const double* probabilities, int n, const double* smallest, double beta,
    double* weights)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        weights[i] = pow(smallest[0] / probabilities[i], beta);
}

// ---- Uniform picks, SlotSet.Pick's arithmetic: the candidate floor(u × range) (at most range - 1) if it is held,
// else the held slot of rank floor(r × count), r the remainder of u × range, clamped to [0, count); range is the
// SlotSet's PickRange, one past its highest held slot.
// words[] is the SlotSet's bitmap (bit s of word s / 64) and tree[] its Fenwick tree over the words' populations
// (1-based, padded to 2 × topStep entries with INT_MAX), both device copies kept in step by gear_scatter; the rank
// is found by SlotSet.SlotOfRank's descent, then the rank-th set bit of the word.
extern "C" __global__ void gear_uniform_pick(const double* uniforms, int n, const unsigned long long* words,
    const int* tree, int topStep, int range, int count, int* slots)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        double scaled = uniforms[i] * range;
        int candidate = (int)scaled;
        candidate = candidate < range - 1 ? candidate : range - 1;
        if ((words[candidate >> 6] >> (candidate & 63)) & 1ULL)
        {
            slots[i] = candidate;
            continue;
        }
        int rank = (int)((scaled - candidate) * count);
        rank = rank >= count ? count - 1 : rank < 0 ? 0 : rank;
        int word = 0;
        for (int step = topStep; step > 0; step >>= 1)
        {
            int population = tree[word + step];
            if (population <= rank)
            {
                word += step;
                rank -= population;
            }
        }
        unsigned long long bits = words[word];
        for (; rank > 0; rank--)
            bits &= bits - 1;
        int bit = 0;
        while (bit < 63 && !((bits >> bit) & 1ULL))
            bit++;
        slots[i] = (word << 6) + bit;
    }
}

// ---- Device copies of host selection state (a slot set's words and tree, top-k's priorities and stamps) follow
// the host by scatters of the entries changed since the last selection: target[indices[i]] = values[i], for
// elements of `width` bytes (4 or 8). The indices are distinct, so no two threads write one element.
extern "C" __global__ void gear_scatter(const int* indices, const unsigned char* values, int n, int width,
    unsigned char* target)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        if (width == 8)
            ((unsigned long long*)target)[indices[i]] = ((const unsigned long long*)values)[i];
        else
            ((unsigned int*)target)[indices[i]] = ((const unsigned int*)values)[i];
    }
}

// ---- Top-k in TopKSelector's order: higher priority first, equal priorities by lower stamp (the item inserted or
// updated least recently). Each held slot (stamp >= 0) gets a unique 128-bit key that orders like that: high word
// the priority's bits made monotonic, low word the complemented stamp. A radix select finds the k-th best key a
// byte at a time (16 passes, each a histogram launch and a one-thread narrowing launch, O(capacity) per pass);
// the slots at or above it are exactly k, collected and then ranked among themselves (O(k²)).

// The priority's bits as an unsigned integer in the same order as the priority (-0 counted as +0).
__device__ __forceinline__ unsigned long long gear_priority_key(double priority)
{
    unsigned long long bits = (unsigned long long)__double_as_longlong(priority + 0.0);
    return (bits >> 63) ? ~bits : bits | 0x8000000000000000ULL;
}

// Byte `pass` of a key, counted from the most significant (pass 0..7 the priority, 8..15 the stamp).
__device__ __forceinline__ unsigned int gear_key_byte(unsigned long long high, unsigned long long low, int pass)
{
    unsigned long long word = pass < 8 ? high : low;
    return (unsigned int)(word >> (8 * (7 - (pass & 7)))) & 255u;
}

// Whether a key's bytes before `pass` (0..15) equal the prefix's.
__device__ __forceinline__ bool gear_key_matches(unsigned long long high, unsigned long long low,
    const unsigned long long* prefix, int pass)
{
    if (pass == 0)
        return true;
    if (pass <= 8)
        return (high >> (64 - 8 * pass)) == (prefix[0] >> (64 - 8 * pass));
    return high == prefix[0] && (low >> (128 - 8 * pass)) == (prefix[1] >> (128 - 8 * pass));
}

// The search state, in one small device block: the k-th best key's bytes found so far, how many of the slots
// matching them are still to be passed over (starts at k), and whether the search has settled: a pass found a byte
// whose slots are exactly the ones still wanted, so every slot of that byte is among the k and the prefix, its
// later bytes left 0, already separates the k from the rest; the passes after it return at once.
struct GearTopKState
{
    unsigned long long prefix[2];
    int remaining;
    int collected;
    int settled;
};

// The histogram's copies: slot s counts into copy (s / 32) % GEAR_TOPK_COPIES (a warp's slots share one), so that
// the slots of one byte, which early passes give nearly every slot (the priorities' sign and exponent bytes), do
// not all add to one counter. One copy took an H100 1.2 ms per selection of 256 from 1,000,000 (bench/RESULTS.md),
// the additions to one address queueing one after another. DeviceSelection.HistogramCopies follows it.
#define GEAR_TOPK_COPIES 128

// Pass phase 1: the matching held slots counted by their next byte, each in its copy. atomicAdd counts end the
// same in any order.
extern "C" __global__ void gear_topk_histogram(const double* priorities, const long long* stamps, int capacity,
    const GearTopKState* state, int pass, unsigned int* histogram)
{
    if (state->settled)
        return;
    for (int s = blockIdx.x * blockDim.x + threadIdx.x; s < capacity; s += gridDim.x * blockDim.x)
    {
        if (stamps[s] < 0)
            continue;
        unsigned long long high = gear_priority_key(priorities[s]), low = ~(unsigned long long)stamps[s];
        if (gear_key_matches(high, low, state->prefix, pass))
            atomicAdd(histogram + (s / 32) % GEAR_TOPK_COPIES * 256 + gear_key_byte(high, low, pass), 1u);
    }
}

// Pass phase 2, one thread per byte: the byte's counts of every copy summed into copy 0, the other copies cleared
// for the next pass. Each thread touches only its byte's counters.
extern "C" __global__ void gear_topk_merge(const GearTopKState* state, unsigned int* histogram)
{
    const int byte = blockIdx.x * blockDim.x + threadIdx.x;
    if (byte >= 256 || state->settled)
        return;
    unsigned int sum = histogram[byte];
#pragma unroll 16
    for (int copy = 1; copy < GEAR_TOPK_COPIES; copy++)
    {
        sum += histogram[copy * 256 + byte];
        histogram[copy * 256 + byte] = 0;
    }
    histogram[byte] = sum;
}

// Pass phase 3, one thread: from the best byte down (in copy 0, the merged counts), the byte within whose slots the
// k-th best lies joins the prefix; the slots of better bytes are passed over; if that byte's slots are exactly the
// ones still wanted, the search has settled. Clears copy 0 for the next pass.
extern "C" __global__ void gear_topk_narrow(GearTopKState* state, int pass, unsigned int* histogram)
{
    if (state->settled)
        return;
    int byte = 255;
    while (byte > 0 && (int)histogram[byte] < state->remaining)
        state->remaining -= (int)histogram[byte--];
    state->prefix[pass < 8 ? 0 : 1] |= (unsigned long long)byte << (8 * (7 - (pass & 7)));
    state->settled = (int)histogram[byte] == state->remaining ? 1 : 0;
    for (int b = 0; b < 256; b++)
        histogram[b] = 0;
}

// Collects the held slots whose key is at least the k-th best: exactly k of them, in an order that depends on the
// threads, which the ranking below removes.
extern "C" __global__ void gear_topk_collect(const double* priorities, const long long* stamps, int capacity,
    GearTopKState* state, int* candidates)
{
    for (int s = blockIdx.x * blockDim.x + threadIdx.x; s < capacity; s += gridDim.x * blockDim.x)
    {
        if (stamps[s] < 0)
            continue;
        unsigned long long high = gear_priority_key(priorities[s]), low = ~(unsigned long long)stamps[s];
        if (high > state->prefix[0] || (high == state->prefix[0] && low >= state->prefix[1]))
            candidates[atomicAdd((unsigned int*)&state->collected, 1u)] = s;
    }
}

// Candidate j goes to its rank among the k candidates: the number with a greater key.
extern "C" __global__ void gear_topk_rank(const double* priorities, const long long* stamps, const int* candidates,
    int k, int* slots)
{
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < k; j += gridDim.x * blockDim.x)
    {
        int s = candidates[j];
        unsigned long long high = gear_priority_key(priorities[s]), low = ~(unsigned long long)stamps[s];
        int rank = 0;
        for (int other = 0; other < k; other++)
        {
            int t = candidates[other];
            unsigned long long otherHigh = gear_priority_key(priorities[t]), otherLow = ~(unsigned long long)stamps[t];
            rank += otherHigh > high || (otherHigh == high && otherLow > low) ? 1 : 0;
        }
        slots[rank] = s;
    }
}
