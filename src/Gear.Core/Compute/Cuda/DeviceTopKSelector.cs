using Gear.Core.Selection;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A table's <see cref="TopKSelector"/> on a device backend: the host selector keeps its heap, checks and
/// checkpoint order, exactly as on the CPU, and every insert, update and removal is also written to per-slot
/// priorities and stamps (the update number the heap gives the slot, -1 where not held) whose device copies
/// (<see cref="DeviceCopy{T}"/>) a Select brings up to date with one scatter each before the top-k kernels
/// order them, in the heap's order, so that the choices equal the CPU's. A selection copies in only the slots
/// changed since the last one.
/// </summary>
internal sealed class DeviceTopKSelector : IItemSelector, ISnapshotOrder, IDisposable
{
    private readonly TopKSelector _host;
    private readonly DeviceSelection _device;
    private readonly double[] _priorities;
    private readonly long[] _stamps;
    private readonly DeviceCopy<double> _devicePriorities;
    private readonly DeviceCopy<long> _deviceStamps;
    private long _nextStamp; // counts inserts and updates as the heap (IndexedHeap) numbers them, from 0 after a clear

    /// <summary>Wraps <paramref name="host"/>, which must hold nothing yet.</summary>
    public DeviceTopKSelector(TopKSelector host, DeviceSelection device)
    {
        if (host.Count != 0)
            throw new ArgumentException("A device copy starts from an empty selector.", nameof(host));
        _host = host;
        _device = device;
        var capacity = host.Capacity;
        _priorities = new double[capacity];
        _stamps = new long[capacity];
        Array.Fill(_stamps, -1);
        lock (device.Gate)
        {
            _devicePriorities = new DeviceCopy<double>(device.Runtime, capacity);
            _deviceStamps = new DeviceCopy<long>(device.Runtime, capacity);
        }
    }

    /// <inheritdoc/>
    public int Count => _host.Count;

    /// <inheritdoc/>
    public bool TryGetPriority(int slot, out double priority) => _host.TryGetPriority(slot, out priority);

    /// <inheritdoc/>
    public void Insert(int slot, double priority)
    {
        _host.Insert(slot, priority);
        Write(slot, priority, _nextStamp++);
    }

    /// <inheritdoc/>
    public void Update(int slot, double priority)
    {
        _host.Update(slot, priority);
        Write(slot, priority, _nextStamp++);
    }

    /// <inheritdoc/>
    public void Remove(int slot)
    {
        _host.Remove(slot);
        Write(slot, 0, -1);
    }

    /// <inheritdoc/>
    public void Clear()
    {
        _host.Clear();
        Array.Fill(_stamps, -1);
        _nextStamp = 0;
        _deviceStamps.MarkAll();
    }

    /// <inheritdoc/>
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        var n = uniforms.Length;
        SelectorGuards.CheckSelect(_host.Count, n, slots.Length, probabilities.Length);
        if (n == 0)
            return;
        lock (_device.Gate)
        {
            _devicePriorities.Flush(_priorities);
            _deviceStamps.Flush(_stamps);
            _device.TopK(_devicePriorities.Address, _deviceStamps.Address, _priorities.Length, _host.Count, slots[..n]);
        }
        probabilities[..n].Fill(1.0);
    }

    private void Write(int slot, double priority, long stamp)
    {
        _priorities[slot] = priority;
        _stamps[slot] = stamp;
        _devicePriorities.Mark(slot);
        _deviceStamps.Mark(slot);
    }

    int[] ISnapshotOrder.RestoreOrder(out int mark) => ((ISnapshotOrder)_host).RestoreOrder(out mark);

    void ISnapshotOrder.RestoreMark(int mark) => ((ISnapshotOrder)_host).RestoreMark(mark);

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_device.Gate)
        {
            _devicePriorities.Dispose();
            _deviceStamps.Dispose();
        }
    }
}
