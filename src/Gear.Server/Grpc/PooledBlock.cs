using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gear.Core.Storage;

namespace Gear.Server.Grpc;

/// <summary>
/// One block of <see cref="LargeBlockMemoryPool"/>: a pinned array. Disposing it (what Kestrel does when it is done
/// with it) returns it to the pool.
/// </summary>
internal sealed unsafe class PooledBlock(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
{
    private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(LargeBlockMemoryPool.BlockSize, pinned: true);

    public Memory<byte> Memory => _array;

    public void Dispose() => pool.Return(this);

    /// <summary>
    /// Gives the physical pages under the block back to the OS; they come back zeroed when the block is next
    /// written. Only whole pages inside the array's data are released: the array's header and any neighbour
    /// sharing its first or last page stay as they are, and the collector never reads a byte array's contents.
    /// The array stays allocated (pinned, at the same address), so nothing depends on a collection.
    /// </summary>
    public void ReleasePages() =>
        PageAdvice.ReleaseWholePages(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)), (nuint)_array.Length);
}
