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
