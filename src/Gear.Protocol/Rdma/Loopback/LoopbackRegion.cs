using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma.Loopback;

/// <summary>A region registered with the loopback device: its native <c>ibv_mr</c> and what it allows.</summary>
internal sealed unsafe class LoopbackRegion(IbvMr* native, IbvAccessFlags access)
{
    public IbvMr* Native { get; } = native;

    public IbvAccessFlags Access { get; } = access;

    /// <summary>Whether [<paramref name="address"/>, +<paramref name="length"/>) lies inside the region.</summary>
    public bool Covers(ulong address, ulong length)
    {
        var start = (ulong)Native->Addr;
        return address >= start && length <= (ulong)Native->Length && address - start <= (ulong)Native->Length - length;
    }
}
