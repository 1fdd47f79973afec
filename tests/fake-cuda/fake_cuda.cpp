// A stand-in for the CUDA driver (libcuda.so.1) with one fake device, for testing the CUDA backend's bindings
// and runtime code on machines without a GPU. "Device" memory is host memory; kernels run through the host
// emulation of kernels/*.cu (host_emulation.cpp is compiled into this library); every call checks what the real
// driver checks where a mistake in the caller would otherwise go unseen here: a current context on the calling
// thread, frees of unknown pointers, registering memory twice or unregistering memory never registered, kernel
// handles that no module gave out, streams used or destroyed after they were destroyed, and kernel pointer
// arguments outside device memory and registered host memory.
//
// Streams run late, as a GPU's do: copies, fills and launches queued on a stream run, in that stream's order,
// only when something waits for them (cuStreamSynchronize, cuEventSynchronize, a cuStreamWaitEvent's turn, a copy
// into pageable memory, a free), so a caller that reads a result before waiting, rewrites pinned memory a queued
// copy still reads, or orders two streams without an event gets wrong bytes here too. Copies from pageable
// memory take the bytes at the call, as the real driver stages them. Signatures follow the CUDA driver API
// reference (cuda.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

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
std::map<void*, size_t> hostAllocations; // from cuMemHostAlloc: page-locked, as registered memory is

// A stream's work not yet run, in order; `queued` and `ran` count every operation ever queued and run, so that an
// event is a position in the stream.
struct Stream
{
    std::deque<std::function<void()>> pending;
    size_t queued = 0;
    size_t ran = 0;
};

// Where an event was last recorded: a stream and how much of its work came before.
struct Event
{
    std::shared_ptr<Stream> stream;
    size_t position = 0;
};

// The streams and the work they run: one operation at a time, under `device` (taken before `gate`); an operation
// may run another stream's work (a cuStreamWaitEvent's turn), hence recursive.
std::recursive_mutex device;
std::map<void*, std::shared_ptr<Stream>> streams; // created and not yet destroyed, by handle
int asyncError = 0; // the first failure of work run after its call returned, which waits report from then on

// Whether [p, p + bytes) lies inside one of the ranges (p may be one past the end when bytes is 0).
bool within(const std::map<void*, size_t>& ranges, const void* p, size_t bytes = 0)
{
    for (auto& [start, length] : ranges)
        if ((const char*)p >= (const char*)start && (const char*)p + bytes <= (const char*)start + length)
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
// Under `device`.
int readyOn(void* stream)
{
    if (int r = ready())
        return r;
    return stream == nullptr || streams.count(stream) ? Success : InvalidHandle;
}

// Runs `stream`'s work up to `position` (under `device`).
void runUntil(Stream& stream, size_t position)
{
    while (stream.ran < position)
    {
        auto operation = std::move(stream.pending.front());
        stream.pending.pop_front();
        stream.ran++;
        operation();
    }
}

void runAll()
{
    for (auto& [handle, stream] : streams)
        runUntil(*stream, stream->queued);
}

// Queues `operation` on `stream`; on the legacy default stream, runs it now, after everything queued (under `device`).
void enqueue(void* stream, std::function<void()> operation)
{
    if (stream == nullptr)
    {
        runAll();
        operation();
        return;
    }
    auto& queue = *streams.at(stream);
    queue.pending.push_back(std::move(operation));
    queue.queued++;
}

// Runs everything queued on `stream` (or, for the legacy default stream, on every stream); under `device`.
int drain(void* stream)
{
    if (stream == nullptr)
        runAll();
    else
        runUntil(*streams.at(stream), streams.at(stream)->queued);
    return asyncError;
}

bool pageLocked(const void* p, size_t bytes)
{
    std::lock_guard<std::mutex> lock(gate);
    return within(hostAllocations, p, bytes) || within(registered, p, bytes);
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
    std::lock_guard<std::recursive_mutex> lock(device);
    auto created = std::make_shared<Stream>();
    *stream = created.get();
    streams[*stream] = created;
    return Success;
}

// The real driver lets queued work finish after a destroy; here it runs first.
int cuStreamDestroy_v2(void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    if (stream == nullptr)
        return InvalidHandle;
    drain(stream);
    streams.erase(stream);
    return Success;
}

int cuStreamSynchronize(void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    return drain(stream);
}

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
    std::lock_guard<std::recursive_mutex> running(device);
    runAll(); // queued work may still read it: a free waits for the device, as cuMemFree's implicit synchronization does
    std::lock_guard<std::mutex> lock(gate);
    if (allocations.erase((void*)pointer) == 0)
        return InvalidValue;
    std::free((void*)pointer);
    return Success;
}

int cuMemcpyHtoDAsync_v2(unsigned long long to, const void* from, size_t bytes, void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    if (pageLocked(from, bytes))
    {
        enqueue(stream, [=] { std::memcpy((void*)to, from, bytes); });
        return Success;
    }
    auto staged = std::make_shared<std::vector<unsigned char>>((const unsigned char*)from, (const unsigned char*)from + bytes);
    enqueue(stream, [=] { std::memcpy((void*)to, staged->data(), bytes); });
    return Success;
}

// Into page-locked memory the copy is queued; into pageable memory it waits for the stream and copies at once.
int cuMemcpyDtoHAsync_v2(void* to, unsigned long long from, size_t bytes, void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    if (pageLocked(to, bytes))
    {
        enqueue(stream, [=] { std::memcpy(to, (const void*)from, bytes); });
        return Success;
    }
    if (int r = drain(stream))
        return r;
    std::memcpy(to, (const void*)from, bytes);
    return Success;
}

int cuMemcpyDtoDAsync_v2(unsigned long long to, unsigned long long from, size_t bytes, void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    enqueue(stream, [=] { std::memcpy((void*)to, (const void*)from, bytes); });
    return Success;
}

int cuMemsetD32Async(unsigned long long to, unsigned int value, size_t count, void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    enqueue(stream, [=] {
        for (size_t i = 0; i < count; i++)
            ((unsigned int*)to)[i] = value;
    });
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
    std::lock_guard<std::recursive_mutex> running(device);
    runAll(); // as for cuMemFree: queued work may still read it
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

int cuMemHostAlloc(void** p, size_t bytes, unsigned int)
{
    if (int r = ready())
        return r;
    *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    std::lock_guard<std::mutex> lock(gate);
    hostAllocations[*p] = bytes;
    return Success;
}

int cuMemFreeHost(void* p)
{
    if (int r = ready())
        return r;
    std::lock_guard<std::recursive_mutex> running(device);
    runAll(); // as for cuMemFree: a queued copy may still read or write it
    std::lock_guard<std::mutex> lock(gate);
    if (hostAllocations.erase(p) == 0)
        return InvalidValue;
    std::free(p);
    return Success;
}

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

// Checks the launch and its pointer arguments now and queues the kernel with a copy of the arguments' values; a
// pointer freed before the kernel runs fails it then, and the next wait reports it.
int cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
    unsigned shared, void* stream, void** params, void** extra)
{
    std::lock_guard<std::recursive_mutex> running(device);
    if (int r = readyOn(stream))
        return r;
    {
        std::lock_guard<std::mutex> lock(gate);
        bool known = false;
        for (auto& name : functions)
            known |= name.c_str() == function;
        if (!known)
            return InvalidHandle;
        switch (gear_emu_pointer_check_args((const char*)function, params))
        {
        case -1: return NotFound;
        case -2: return IllegalAddress;
        }
    }
    if (gz != 1 || by != 1 || bz != 1 || shared != 0 || extra != nullptr || gx == 0 || bx == 0 || bx > 1024 || gy > 65535)
        return InvalidValue;
    auto kept = std::make_shared<std::vector<std::vector<unsigned char>>>(gear_emu_copy_args((const char*)function, params));
    enqueue(stream, [=] {
        std::vector<void*> arguments;
        for (auto& value : *kept)
            arguments.push_back(value.data());
        std::lock_guard<std::mutex> lock(gate); // the pointer check sees stable maps
        int result = gear_emu_launch((const char*)function, gx, gy, bx, arguments.data());
        if (result != 0 && asyncError == 0)
            asyncError = result == -2 ? IllegalAddress : NotFound;
    });
    return Success;
}

int cuEventCreate(void** event, unsigned int)
{
    if (int r = ready())
        return r;
    *event = new Event();
    return Success;
}

int cuEventRecord(void* event, void* stream)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    auto& marker = *(Event*)event;
    if (stream == nullptr)
    {
        runAll();
        marker = Event();
        return Success;
    }
    marker.stream = streams.at(stream);
    marker.position = marker.stream->queued;
    return Success;
}

int cuEventSynchronize(void* event)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = ready())
        return r;
    auto& marker = *(Event*)event;
    if (marker.stream)
        runUntil(*marker.stream, marker.position);
    return asyncError;
}

int cuEventElapsedTime(float* ms, void*, void*) { *ms = 1.0f; return ready(); }

int cuEventDestroy_v2(void* event)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    delete (Event*)event;
    return ready();
}

// The waiting stream's next operation runs the event's stream up to where the event was recorded, as it is now.
int cuStreamWaitEvent(void* stream, void* event, unsigned int)
{
    std::lock_guard<std::recursive_mutex> lock(device);
    if (int r = readyOn(stream))
        return r;
    auto marker = *(Event*)event;
    enqueue(stream, [=] {
        if (marker.stream)
            runUntil(*marker.stream, marker.position);
    });
    return Success;
}

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
