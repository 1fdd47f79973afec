// Force-included (-include) when the host-emulation test compiles kernels/*.cu as plain C++ (clang-14 -x c++):
// kernels become ordinary functions that a serial launcher (host_emulation.cpp) calls once per (block, thread),
// with the built-in variables below set before each call. This is honest only because no kernel shares data
// between threads of a launch except through atomics on distinct phases (see kernels/README.md): kernels use no
// shared memory, no __syncthreads and no warp shuffles, so one thread after another gives a result a real
// launch may give.
#pragma once

#define __global__
#define __device__
#define __forceinline__ inline

struct GearDim3
{
    unsigned int x, y, z;
};

extern thread_local GearDim3 threadIdx, blockIdx, blockDim, gridDim;

// Atomics as plain operations: the launcher runs one thread at a time.
inline int atomicMax(int* address, int value)
{
    int old = *address;
    if (value > old)
        *address = value;
    return old;
}
