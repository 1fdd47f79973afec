namespace Gear.Core.Compute.Cuda;

/// <summary>
/// What one queued gather keeps to itself while it runs: its own plan (staging and device copy), which no other
/// gather may overwrite before the kernel has read it, and a marker recorded after its launch, so that its owner
/// waits for this gather alone and not for everything queued after it. A <see cref="DeviceBatch"/> owns one;
/// the backend queues gathers into it (<see cref="DeviceBackend.QueueGather"/>).
/// </summary>
internal sealed class QueuedGather : IDisposable
{
    private readonly IDeviceRuntime _runtime;
    private readonly Lock _gate;
    private readonly nint _marker;
    private bool _disposed;

    /// <summary>Creates the plan and the marker on <paramref name="runtime"/>, whose calls <paramref name="gate"/> serialises.</summary>
    public QueuedGather(IDeviceRuntime runtime, Lock gate)
    {
        _runtime = runtime;
        _gate = gate;
        lock (gate)
        {
            _marker = runtime.CreateEvent();
            Plan = new GatherPlan(runtime);
        }
    }

    /// <summary>The plan the queued gather reads; rewritten only by the next gather queued here, after <see cref="Wait"/>.</summary>
    public GatherPlan Plan { get; }

    /// <summary>Whether a gather was queued here and not yet waited for.</summary>
    public bool Pending { get; private set; }

    /// <summary>Under the gate, before anything is queued: throws unless a gather may be queued here now.</summary>
    public void CheckReady()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Pending)
            throw new InvalidOperationException("this batch's last queued gather has not been waited for");
    }

    /// <summary>Under the gate, right after the gather's launch: marks its end in the queue.</summary>
    public void MarkQueued()
    {
        _runtime.Record(_marker);
        Pending = true;
    }

    /// <summary>
    /// Waits until the queued gather (if any) has run; the work queued after it may still be running. Outside the
    /// gate, so that other callers queue their work meanwhile; only the owner queues here and waits, one at a time.
    /// </summary>
    public void Wait()
    {
        if (!Pending)
            return;
        _runtime.WaitFor(_marker);
        Pending = false;
    }

    /// <summary>Waits for a pending gather, then frees the plan and the marker.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        Wait();
        lock (_gate)
        {
            _disposed = true;
            Plan.Dispose();
            _runtime.DestroyEvent(_marker);
        }
    }
}
