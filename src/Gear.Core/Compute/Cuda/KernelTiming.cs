namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Times every launch of one kernel on a <see cref="CudaRuntime"/> by events recorded around it on the runtime's
/// stream, for <c>gear bench backends</c>: the kernel's own time, without the host's side of a call (planning, the
/// driver calls, the wait), which per-call timings include. While it exists the runtime brackets each launch of
/// the kernel with its two events; a launch's time is read before the next one is recorded, waiting for it if needed.
/// </summary>
internal sealed class KernelTiming : IDisposable
{
    private readonly CudaRuntime _runtime;
    private readonly nint _start;
    private readonly nint _end;
    private bool _pending;
    private double _milliseconds;
    private long _launches;

    /// <summary>Starts timing <paramref name="kernel"/> on <paramref name="runtime"/> (one timing at a time).</summary>
    public KernelTiming(CudaRuntime runtime, Kernel kernel)
    {
        if (runtime.Timing is not null)
            throw new InvalidOperationException("a kernel of this runtime is already being timed");
        runtime.Enter();
        _runtime = runtime;
        Kernel = kernel;
        _start = runtime.Driver.CreateEvent();
        _end = runtime.Driver.CreateEvent();
        runtime.Timing = this;
    }

    /// <summary>The kernel timed.</summary>
    public Kernel Kernel { get; }

    /// <summary>Mean seconds per launch so far (NaN before the first).</summary>
    public double MeanSeconds
    {
        get
        {
            Settle();
            return _milliseconds / 1e3 / _launches;
        }
    }

    /// <summary>Called by the runtime just before it launches <see cref="Kernel"/>.</summary>
    internal void BeforeLaunch(nint stream)
    {
        Settle();
        _runtime.Driver.Record(_start, stream);
    }

    /// <summary>Called by the runtime just after it launched <see cref="Kernel"/>.</summary>
    internal void AfterLaunch(nint stream)
    {
        _runtime.Driver.Record(_end, stream);
        _pending = true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _runtime.Timing = null;
        _runtime.Enter();
        Settle();
        _runtime.Driver.DestroyEvent(_start);
        _runtime.Driver.DestroyEvent(_end);
    }

    private void Settle()
    {
        if (!_pending)
            return;
        _runtime.Driver.WaitFor(_end);
        _milliseconds += _runtime.Driver.ElapsedMilliseconds(_start, _end);
        _launches++;
        _pending = false;
    }
}
