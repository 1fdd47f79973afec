namespace Gear.Protocol.Rdma;

/// <summary>
/// A learner's receive ring as the server sees it: <see cref="SlotCount"/> slots of <see cref="SlotBytes"/>
/// each at <see cref="Address"/> in the learner's memory, writable with <see cref="RemoteKey"/>. Frame
/// <c>n</c> goes to slot <c>n mod SlotCount</c>.
/// </summary>
/// <param name="Address">The ring's first byte in the learner's address space.</param>
/// <param name="RemoteKey">The ring's rkey.</param>
/// <param name="SlotBytes">Bytes per slot: the largest frame the ring takes.</param>
/// <param name="SlotCount">Slots, which are also the learner's credits.</param>
public readonly record struct RdmaRing(ulong Address, uint RemoteKey, int SlotBytes, int SlotCount)
{
    /// <summary>Most slots a ring may have: the immediate value carries the slot in 16 bits.</summary>
    public const int MaxSlots = SlotImmediate.MaxSlots;

    /// <summary>The address of slot <paramref name="slot"/>.</summary>
    public ulong SlotAddress(int slot) => Address + (ulong)slot * (ulong)SlotBytes;
}
