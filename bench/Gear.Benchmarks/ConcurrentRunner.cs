namespace Gear.Benchmarks;

/// <summary>
/// Runs a per-thread body on the calling thread and on dedicated helper threads at once, for the 1-to-2-thread
/// scaling figures. The body is set once, and helpers are released with semaphores, so a run allocates nothing.
/// </summary>
internal sealed class ConcurrentRunner : IDisposable
{
    private readonly Action<int> _body;
    private readonly Thread[] _helpers;
    private readonly SemaphoreSlim _start = new(0);
    private readonly CountdownEvent _done;
    private volatile bool _stopping;

    public ConcurrentRunner(int threads, Action<int> body)
    {
        _body = body;
        _helpers = new Thread[threads - 1];
        _done = new CountdownEvent(Math.Max(1, threads - 1));
        for (var i = 0; i < _helpers.Length; i++)
        {
            var index = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(index)) { IsBackground = true };
            _helpers[i].Start();
        }
    }

    public int Threads => _helpers.Length + 1;

    /// <summary>Runs the body once on every thread, the caller's as thread 0, and waits for all.</summary>
    public void Run()
    {
        if (_helpers.Length == 0)
        {
            _body(0);
            return;
        }
        _done.Reset();
        _start.Release(_helpers.Length);
        _body(0);
        _done.Wait();
    }

    private void HelperLoop(int index)
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
                return;
            _body(index);
            _done.Signal();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_helpers.Length > 0)
            _start.Release(_helpers.Length);
        foreach (var helper in _helpers)
            helper.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
