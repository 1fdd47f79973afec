using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cpu;

/// <summary>
/// Dedicated threads that split one large gather among themselves and the calling thread. Work is handed over
/// in fields and claimed in chunks with an interlocked counter, so a parallel gather allocates nothing
/// (Parallel.For would allocate per call). One gather at a time: a caller that finds the workers busy gathers
/// on its own thread instead of waiting.
/// </summary>
internal sealed class GatherWorkers : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private readonly Lock _busy = new();

    // The job in hand; written before the workers are released, read by them after.
    private PagedStorage? _storage;
    private WindowBatch? _output;
    private int _chunkWindows;
    private int _chunkCount;
    private int _nextChunk;
    private int _pendingWorkers;
    private volatile bool _stopping;

    /// <summary>Starts <paramref name="workerCount"/> background threads.</summary>
    public GatherWorkers(int workerCount)
    {
        _threads = new Thread[workerCount];
        for (var i = 0; i < workerCount; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"gear-gather-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that take part in a gather: the workers plus the caller.</summary>
    public int Parallelism => _threads.Length + 1;

    /// <summary>Gathers every window of <paramref name="output"/> in parallel; false if the workers are busy.</summary>
    public bool TryGather(PagedStorage storage, WindowBatch output)
    {
        if (!_busy.TryEnter())
            return false;
        try
        {
            // A few chunks per thread balance uneven windows without much claiming traffic.
            var chunks = Math.Min(output.Count, Parallelism * 4);
            _storage = storage;
            _output = output;
            _chunkWindows = (output.Count + chunks - 1) / chunks;
            _chunkCount = chunks;
            _nextChunk = 0;
            _pendingWorkers = _threads.Length;
            _done.Reset();
            _start.Release(_threads.Length);

            RunChunks();
            _done.Wait();
            _storage = null;
            _output = null;
            return true;
        }
        finally
        {
            _busy.Exit();
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
                return;
            RunChunks();
            if (Interlocked.Decrement(ref _pendingWorkers) == 0)
                _done.Set();
        }
    }

    private void RunChunks()
    {
        var storage = _storage!;
        var output = _output!;
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount)
        {
            var from = chunk * _chunkWindows;
            var to = Math.Min(output.Count, from + _chunkWindows);
            if (from < to)
                CpuWindowGather.GatherRange(storage, output, from, to);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping = true;
        _start.Release(_threads.Length);
        foreach (var thread in _threads)
            thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
