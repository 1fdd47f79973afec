namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Where the gather kernels write a batch, as device addresses: the caller's host buffers registered with the device
/// (<see cref="BatchMapping"/>, the pinned staging a transport sends from), or buffers in device memory
/// (<see cref="DeviceColumns"/>, for a learner in the same process: <see cref="DeviceBatch"/>).
/// </summary>
internal interface IGatherTarget : IDisposable
{
    /// <summary>Device address of the table of each column's output address (u64 each).</summary>
    ulong ColumnOutputs { get; }

    /// <summary>Device address of the table of each column's step size (int each).</summary>
    ulong ColumnStepBytes { get; }

    /// <summary>Device address of the mask.</summary>
    ulong Mask { get; }

    /// <summary>Whether the target has been freed (with its batch or its backend).</summary>
    bool Released { get; }
}
