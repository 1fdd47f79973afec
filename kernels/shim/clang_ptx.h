// Force-included (-include) when clang-14 compiles kernels/*.cu to PTX without the CUDA toolkit
// (--cuda-device-only -nocudainc): it supplies what NVRTC provides implicitly. clang knows the CUDA
// attributes but not the CUDA headers' macros, built-in variables or device functions.
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __forceinline__ __inline__ __attribute__((always_inline))

// threadIdx, blockIdx, blockDim, gridDim: clang's own definitions, which the CUDA wrapper headers would include.
#include <__clang_cuda_builtin_vars.h>

__device__ __forceinline__ int atomicMax(int* address, int value) { return __nvvm_atom_max_gen_i(address, value); }
__device__ __forceinline__ unsigned int atomicAdd(unsigned int* address, unsigned int value)
{
    return (unsigned int)__nvvm_atom_add_gen_i((int*)address, (int)value);
}
__device__ __forceinline__ long long __double_as_longlong(double x) { return __nvvm_bitcast_d2ll(x); }

// pow as NVRTC's implicit math functions provide it: libdevice's, which NVRTC links and this PTX leaves external.
extern "C" __device__ double __nv_pow(double x, double y);
__device__ __forceinline__ double pow(double x, double y) { return __nv_pow(x, y); }
