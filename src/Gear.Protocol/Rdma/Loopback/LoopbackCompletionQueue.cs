using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma.Loopback;

/// <summary>
/// A loopback completion queue: a native <c>ibv_cq</c> (what the ops table is handed) followed by a handle
/// to this object, and a fixed ring of completions. Guarded by the fabric's lock.
/// </summary>
internal sealed unsafe class LoopbackCompletionQueue : IDisposable
{
    private readonly IbvWc[] _entries;
    private int _head;
    private int _count;

    public LoopbackCompletionQueue(LoopbackVerbs fabric, IbvContext* context, int entries)
    {
        Fabric = fabric;
        _entries = new IbvWc[Math.Max(1, entries)];
        Native = OwnedNative.Allocate<IbvCq>(this);
        Native->Context = context;
        Native->Cqe = _entries.Length;
    }

    public LoopbackVerbs Fabric { get; }

    public IbvCq* Native { get; private set; }

    /// <summary>Set when a completion found the queue full: a real device then raises a fatal event; polling fails from then on.</summary>
    public bool Overrun { get; private set; }

    /// <summary>The queue behind a native pointer handed to the ops table.</summary>
    public static LoopbackCompletionQueue From(IbvCq* cq) => OwnedNative.Owner<IbvCq, LoopbackCompletionQueue>(cq);

    public void Add(in IbvWc completion)
    {
        if (_count == _entries.Length)
        {
            Overrun = true;
            return;
        }
        _entries[(_head + _count) % _entries.Length] = completion;
        _count++;
    }

    public int Take(int max, IbvWc* destination)
    {
        var taken = 0;
        for (; taken < max && _count > 0; taken++)
        {
            destination[taken] = _entries[_head];
            _head = (_head + 1) % _entries.Length;
            _count--;
        }
        return taken;
    }

    public void Dispose()
    {
        if (Native == null)
            return;
        OwnedNative.Free(Native);
        Native = null;
    }
}
