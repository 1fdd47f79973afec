// A stand-in for the CUDA driver (libcuda.so.1) with one fake device, for testing the CUDA backend's bindings
// and runtime code on machines without a GPU. "Device" memory is host memory; kernels run through the host
// emulation of kernels/*.cu (host_emulation.cpp is compiled into this library); every call checks what the real
// driver checks where a mistake in the caller would otherwise go unseen here: a current context on the calling
// thread, frees of unknown pointers, registering memory twice or unregistering memory never registered, kernel
// handles that no module gave out, streams used or destroyed after they were destroyed, and kernel pointer
// arguments outside device memory and registered host memory. Signatures follow the CUDA driver API reference (cuda.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "../../kernels/shim/host_emulation.cpp"

namespace
{
enum : int
{
    Success = 0,
    InvalidValue = 1,
    NotInitialized = 3,
    InvalidContext = 201,
    InvalidHandle = 400,
    NotFound = 500,
    IllegalAddress = 700,
    AlreadyRegistered = 712,
    NotRegistered = 713,
};

std::mutex gate;
bool initialized = false;
int retains = 0;
char context; // the one context's handle is its address
thread_local void* current = nullptr;
std::map<void*, size_t> allocations;
std::map<void*, size_t> registered;
std::set<std::string> functions;
std::set<void*> streams; // created and not yet destroyed

bool within(const std::map<void*, size_t>& ranges, const void* p)
{
    for (auto& [start, length] : ranges)
        if ((const char*)p >= (const char*)start && (const char*)p <= (const char*)start + length)
            return true;
    return false;
}

// What the device may dereference: its own memory and mapped host memory (checked under `gate` by the launch).
bool deviceVisible(const void* p) { return within(allocations, p) || within(registered, p); }

// 70 (sm_70) unless GEAR_FAKE_COMPUTE_CAPABILITY says otherwise (e.g. 120: a device newer than the fake NVRTC).
int computeCapability()
{
    const char* text = std::getenv("GEAR_FAKE_COMPUTE_CAPABILITY");
    return text ? std::atoi(text) : 70;
}

int ready()
{
    if (!initialized)
        return NotInitialized;
    return current == &context && retains > 0 ? Success : InvalidContext;
}

// ready(), for a call that queues work on `stream`: null (the legacy default stream) or one not yet destroyed.
int readyOn(void* stream)
{
    if (int r = ready())
        return r;
    std::lock_guard<std::mutex> lock(gate);
    return stream == nullptr || streams.count(stream) ? Success : InvalidHandle;
}
}

extern "C" {

int cuInit(unsigned int flags)
{
    initialized = flags == 0;
    gear_emu_pointer_check = deviceVisible;
    return flags == 0 ? Success : InvalidValue;
}
int cuDriverGetVersion(int* version) { *version = 12040; return Success; }
int cuDeviceGetCount(int* count) { *count = 1; return initialized ? Success : NotInitialized; }
int cuDeviceGet(int* device, int ordinal) { *device = 0; return ordinal == 0 ? Success : InvalidValue; }

int cuDeviceGetName(char* name, int length, int device)
{
    if (device != 0 || length < 1)
        return InvalidValue;
    std::snprintf(name, length, "Gear fake CUDA device");
    return Success;
}

int cuDeviceGetAttribute(int* value, int attribute, int device)
{
    if (device != 0)
        return InvalidValue;
    switch (attribute)
    {
    case 75: *value = computeCapability() / 10; return Success; // compute capability major
    case 76: *value = computeCapability() % 10; return Success; // minor
    default: return InvalidValue;
    }
}

int cuDevicePrimaryCtxRetain(void** ctx, int device)
{
    std::lock_guard<std::mutex> lock(gate);
    if (device != 0)
        return InvalidValue;
    retains++;
    *ctx = &context;
    return Success;
}

int cuDevicePrimaryCtxRelease_v2(int device)
{
    std::lock_guard<std::mutex> lock(gate);
    if (device != 0 || retains == 0)
        return InvalidValue;
    retains--;
    return Success;
}

int cuCtxSetCurrent(void* ctx) { current = ctx; return ctx == &context || ctx == nullptr ? Success : InvalidContext; }

int cuStreamCreate(void** stream, unsigned int)
{
    if (int r = ready())
        return r;
    *stream = std::malloc(1);
    std::lock_guard<std::mutex> lock(gate);
    streams.insert(*stream);
    return Success;
}

int cuStreamDestroy_v2(void* stream)
{
    if (int r = readyOn(stream))
        return r;
    std::lock_guard<std::mutex> lock(gate);
    streams.erase(stream);
    std::free(stream);
    return Success;
}

int cuStreamSynchronize(void* stream) { return readyOn(stream); }

int cuMemAlloc_v2(unsigned long long* pointer, size_t bytes)
{
    if (int r = ready())
        return r;
    void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    std::lock_guard<std::mutex> lock(gate);
    allocations[p] = bytes;
    *pointer = (unsigned long long)p;
    return Success;
}

int cuMemFree_v2(unsigned long long pointer)
{
    if (int r = ready())
        return r;
    std::lock_guard<std::mutex> lock(gate);
    if (allocations.erase((void*)pointer) == 0)
        return InvalidValue;
    std::free((void*)pointer);
    return Success;
}

// Copies and fills run at once: the fake device has no queue to run them later.
int cuMemcpyHtoDAsync_v2(unsigned long long to, const void* from, size_t bytes, void* stream)
{
    if (int r = readyOn(stream))
        return r;
    std::memcpy((void*)to, from, bytes);
    return Success;
}

int cuMemcpyDtoHAsync_v2(void* to, unsigned long long from, size_t bytes, void* stream)
{
    if (int r = readyOn(stream))
        return r;
    std::memcpy(to, (void*)from, bytes);
    return Success;
}

int cuMemcpyDtoDAsync_v2(unsigned long long to, unsigned long long from, size_t bytes, void* stream)
{
    if (int r = readyOn(stream))
        return r;
    std::memcpy((void*)to, (void*)from, bytes);
    return Success;
}

int cuMemsetD32Async(unsigned long long to, unsigned int value, size_t count, void* stream)
{
    if (int r = readyOn(stream))
        return r;
    for (size_t i = 0; i < count; i++)
        ((unsigned int*)to)[i] = value;
    return Success;
}

int cuMemHostRegister_v2(void* p, size_t bytes, unsigned int flags)
{
    if (int r = ready())
        return r;
    if ((flags & 2) == 0) // CU_MEMHOSTREGISTER_DEVICEMAP: the backend maps everything it registers
        return InvalidValue;
    std::lock_guard<std::mutex> lock(gate);
    for (auto& [start, length] : registered)
        if ((char*)p < (char*)start + length && (char*)start < (char*)p + bytes)
            return AlreadyRegistered;
    registered[p] = bytes;
    return Success;
}

int cuMemHostUnregister(void* p)
{
    if (int r = ready())
        return r;
    std::lock_guard<std::mutex> lock(gate);
    return registered.erase(p) == 1 ? Success : NotRegistered;
}

int cuMemHostGetDevicePointer_v2(unsigned long long* device, void* p, unsigned int flags)
{
    if (int r = ready())
        return r;
    std::lock_guard<std::mutex> lock(gate);
    for (auto& [start, length] : registered)
        if ((char*)p >= (char*)start && (char*)p < (char*)start + length && flags == 0)
        {
            *device = (unsigned long long)p;
            return Success;
        }
    return InvalidValue;
}

int cuMemHostAlloc(void** p, size_t bytes, unsigned int) { *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096); return ready(); }
int cuMemFreeHost(void* p) { std::free(p); return ready(); }

// A "CUBIN" or "PTX" from the fake NVRTC names its source file; the module is that name.
int cuModuleLoadData(void** module, const void* image)
{
    if (int r = ready())
        return r;
    if (std::strncmp((const char*)image, "fake-cubin:", 11) != 0 && std::strncmp((const char*)image, "fake-ptx:", 9) != 0)
        return InvalidValue;
    *module = strdup((const char*)image);
    return Success;
}

int cuModuleUnload(void* module) { std::free(module); return ready(); }

int cuModuleGetFunction(void** function, void*, const char* name)
{
    if (int r = ready())
        return r;
    std::lock_guard<std::mutex> lock(gate);
    *function = (void*)functions.insert(name).first->c_str();
    return Success;
}

int cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
    unsigned shared, void* stream, void** params, void** extra)
{
    if (int r = readyOn(stream))
        return r;
    {
        std::lock_guard<std::mutex> lock(gate);
        bool known = false;
        for (auto& name : functions)
            known |= name.c_str() == function;
        if (!known)
            return InvalidHandle;
    }
    if (gz != 1 || by != 1 || bz != 1 || shared != 0 || extra != nullptr || gx == 0 || bx == 0 || bx > 1024 || gy > 65535)
        return InvalidValue;
    std::lock_guard<std::mutex> lock(gate); // one launch at a time, and the pointer check sees stable maps
    switch (gear_emu_launch((const char*)function, gx, gy, bx, params))
    {
    case 0: return Success;
    case -2: return IllegalAddress;
    default: return NotFound;
    }
}

int cuEventCreate(void** event, unsigned int) { *event = std::malloc(1); return ready(); }
int cuEventRecord(void*, void* stream) { return readyOn(stream); }
int cuEventSynchronize(void*) { return ready(); }
int cuEventElapsedTime(float* ms, void*, void*) { *ms = 1.0f; return ready(); }
int cuEventDestroy_v2(void* event) { std::free(event); return ready(); }
int cuStreamWaitEvent(void* stream, void*, unsigned int) { return readyOn(stream); }

int cuGetErrorName(int error, const char** text)
{
    switch (error)
    {
    case InvalidValue: *text = "CUDA_ERROR_INVALID_VALUE"; return Success;
    case NotInitialized: *text = "CUDA_ERROR_NOT_INITIALIZED"; return Success;
    case InvalidContext: *text = "CUDA_ERROR_INVALID_CONTEXT"; return Success;
    case InvalidHandle: *text = "CUDA_ERROR_INVALID_HANDLE"; return Success;
    case NotFound: *text = "CUDA_ERROR_NOT_FOUND"; return Success;
    case IllegalAddress: *text = "CUDA_ERROR_ILLEGAL_ADDRESS"; return Success;
    case AlreadyRegistered: *text = "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED"; return Success;
    case NotRegistered: *text = "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED"; return Success;
    default: *text = nullptr; return InvalidValue;
    }
}

int cuGetErrorString(int error, const char** text) { return cuGetErrorName(error, text); }
}
