using Gear.Core.Selection;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A table's <see cref="UniformSelector"/> on a device backend: the host selector keeps the bookkeeping and its
/// checks, exactly as on the CPU, and every change is also marked in device copies of its slot set (the bitmap and
/// the Fenwick tree, <see cref="DeviceCopy{T}"/>); a Select sends the marked words and tree entries as one scatter
/// each and picks with <c>gear_uniform_pick</c>, which follows <c>SlotSet.Pick</c>'s arithmetic, so the same
/// uniforms choose the same slots as on the CPU. A selection copies in its uniforms and the changes since the last
/// one, never the whole set.
/// </summary>
internal sealed class DeviceUniformSelector : IItemSelector, IDisposable
{
    private readonly UniformSelector _host;
    private readonly SlotSet _slots;
    private readonly DeviceSelection _device;
    private readonly DeviceCopy<ulong> _words;
    private readonly DeviceCopy<int> _tree;

    /// <summary>Wraps <paramref name="host"/>, which must hold nothing yet.</summary>
    public DeviceUniformSelector(UniformSelector host, DeviceSelection device)
    {
        if (host.Count != 0)
            throw new ArgumentException("A device copy starts from an empty selector.", nameof(host));
        _host = host;
        _slots = host.Slots;
        _device = device;
        lock (device.Gate)
        {
            _words = new DeviceCopy<ulong>(device.Runtime, _slots.Words.Length);
            _tree = new DeviceCopy<int>(device.Runtime, _slots.Tree.Length);
        }
    }

    /// <inheritdoc/>
    public bool UsesPriorities => false;

    /// <inheritdoc/>
    public int Count => _host.Count;

    /// <inheritdoc/>
    public void Insert(int slot, double priority)
    {
        _host.Insert(slot, priority);
        MarkWord(slot >> 6);
    }

    /// <inheritdoc/>
    public void InsertRun(int firstSlot, ReadOnlySpan<double> priorities)
    {
        _host.InsertRun(firstSlot, priorities);
        MarkWords(firstSlot, priorities.Length);
    }

    /// <inheritdoc/>
    public void Update(int slot, double priority) => _host.Update(slot, priority);

    /// <inheritdoc/>
    public void Remove(int slot)
    {
        _host.Remove(slot);
        MarkWord(slot >> 6);
    }

    /// <inheritdoc/>
    public void RemoveRun(int firstSlot, int count)
    {
        _host.RemoveRun(firstSlot, count);
        MarkWords(firstSlot, count);
    }

    /// <inheritdoc/>
    public void Clear()
    {
        _host.Clear();
        _words.MarkAll();
        _tree.MarkAll();
    }

    /// <inheritdoc/>
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        var count = _host.Count;
        SelectorGuards.CheckSelect(count, uniforms.Length, slots.Length, probabilities.Length);
        if (uniforms.Length == 0)
            return;
        lock (_device.Gate)
        {
            _words.Flush(_slots.Words);
            _tree.Flush(_slots.Tree);
            _device.UniformPicks(uniforms, _words.Address, _tree.Address, _slots.TopStep, _slots.PickRange, count, slots[..uniforms.Length]);
        }
        probabilities[..uniforms.Length].Fill(1.0 / count);
    }

    /// <summary>Marks a word and the tree entries that count it (those <c>SlotSet</c>'s Fenwick update rewrites).</summary>
    private void MarkWord(int word)
    {
        _words.Mark(word);
        for (var entry = word + 1; entry <= _slots.WordCount; entry += entry & -entry)
            _tree.Mark(entry);
    }

    private void MarkWords(int firstSlot, int count)
    {
        if (count == 0)
            return;
        for (var word = firstSlot >> 6; word <= (firstSlot + count - 1) >> 6; word++)
            MarkWord(word);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_device.Gate)
        {
            _words.Dispose();
            _tree.Dispose();
        }
    }
}
