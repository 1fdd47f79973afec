namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The few device operations the backend is built on: device memory, copies, host memory mapped for the device,
/// and kernel launches, ordered on one queue (a second queue on the same device: <see cref="OpenQueue"/>).
/// <see cref="CudaRuntime"/> is the real one; the tests supply an emulated one (the same kernels compiled for the
/// host and run serially) that proves the backend's host-side logic and the kernels' logic without a GPU. Not
/// thread-safe, but for <see cref="WaitFor"/>: the backend serialises its calls.
/// </summary>
internal unsafe interface IDeviceRuntime : IDisposable
{
    /// <summary>The device's name for logs ("cuda:0").</summary>
    string Name { get; }

    /// <summary>Allocates <paramref name="bytes"/> of device memory (aligned for 16-byte vector access).</summary>
    ulong Allocate(long bytes);

    /// <summary>Frees memory from <see cref="Allocate"/>.</summary>
    void Free(ulong address);

    /// <summary>
    /// Allocates <paramref name="bytes"/> of page-locked host memory (aligned for 16-byte access), from which
    /// <see cref="CopyToDevice"/> is a true asynchronous copy: from pageable memory the driver first stages the bytes
    /// itself and the copy returns only after that.
    /// </summary>
    void* AllocateHost(long bytes);

    /// <summary>Frees memory from <see cref="AllocateHost"/>.</summary>
    void FreeHost(void* host);

    /// <summary>Queues a copy from host memory to the device; <paramref name="source"/> must stay valid until <see cref="Synchronize"/>.</summary>
    void CopyToDevice(ulong destination, void* source, long bytes);

    /// <summary>
    /// Queues a copy from host memory to the device that may run before work queued earlier (a small upload that
    /// overlaps a kernel still running) but completes before any work queued after it. Nothing queued earlier may
    /// read <paramref name="destination"/>; <paramref name="source"/> must stay valid until the work after it has run.
    /// </summary>
    void CopyToDeviceAhead(ulong destination, void* source, long bytes);

    /// <summary>Queues a copy from the device to host memory, complete after <see cref="Synchronize"/>.</summary>
    void CopyToHost(void* destination, ulong source, long bytes);

    /// <summary>Queues a fill of <paramref name="count"/> 32-bit words with <paramref name="value"/>.</summary>
    void Fill32(ulong destination, uint value, long count);

    /// <summary>Page-locks existing host memory and returns the address at which kernels read it (zero-copy).</summary>
    ulong MapHost(void* host, long bytes);

    /// <summary>Undoes <see cref="MapHost"/>.</summary>
    void UnmapHost(void* host);

    /// <summary>Queues <paramref name="kernel"/> over a grid of (gridX, gridY) blocks of blockX threads; args as cuLaunchKernel takes them.</summary>
    void Launch(Kernel kernel, uint gridX, uint gridY, uint blockX, void** args);

    /// <summary>Waits for everything queued (on this queue).</summary>
    void Synchronize();

    /// <summary>
    /// A second queue on this device, sharing its memory, mappings and kernels: work queued on either runs in that
    /// queue's own order, neither waiting for nor held up by the other's, so the two must not touch the same device
    /// memory. The backend selects on one (<see cref="DeviceSelection"/>, <see cref="DeviceSumTree"/>), so that a
    /// selection and its read-back do not wait for gathers queued before them. Disposing it frees the queue alone,
    /// and must come before disposing this runtime.
    /// </summary>
    IDeviceRuntime OpenQueue();

    /// <summary>Creates a marker for a point in the queue (<see cref="Record"/>, <see cref="WaitFor"/>).</summary>
    nint CreateEvent();

    /// <summary>Marks the point after everything queued so far with <paramref name="marker"/> (moving it if marked before).</summary>
    void Record(nint marker);

    /// <summary>
    /// Waits for everything queued before <paramref name="marker"/>'s last <see cref="Record"/>, and no more. Unlike
    /// the other calls it is safe without the backend's serialisation, so that one caller waits for its own work
    /// while others queue theirs.
    /// </summary>
    void WaitFor(nint marker);

    /// <summary>Frees a marker from <see cref="CreateEvent"/>.</summary>
    void DestroyEvent(nint marker);
}
