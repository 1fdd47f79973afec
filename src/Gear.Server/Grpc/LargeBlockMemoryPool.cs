using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Gear.Server.Grpc;

/// <summary>
/// Kestrel's buffer pool with 64 KiB blocks instead of its default 4 KiB ones. Kestrel's socket transport receives
/// into one pool block at a time, so with 4 KiB blocks a multi-megabyte insert stream costs a receive call, and
/// on loopback an ACK processed in the same call, per 4 KiB; the profile of W1 inserts had that path as the
/// server's largest cost. 64 KiB blocks cut the calls sixteenfold (W1 inserts measured about +50 %, SampleStream
/// unchanged within the noise); 256 KiB blocks gained nothing more and cost more memory per connection.
/// </summary>
/// <remarks>
/// Blocks are pinned arrays (the transport hands them to the kernel, and sends several at once only from arrays)
/// kept for reuse. The transport receives into a block without first waiting for data
/// (<c>WaitForDataBeforeAllocatingBuffer</c> off, <c>GearServer</c>), so each open connection holds one block while
/// it waits: 64 MiB for a thousand idle connections, given back when they close. Given back, such a peak of blocks
/// would stay resident for the life of the process (the soak's server RSS rose 9–13 % when its idle connections
/// closed, and stayed there), and dropping the arrays would not help: a server whose hot paths allocate nothing may
/// not run a full collection for hours. So every <see cref="TrimPeriod"/> the blocks that stayed free through the
/// whole period give their pages back to the OS (<see cref="PooledBlock.ReleasePages"/>) and wait, cold, behind the
/// warm ones for the next burst.
/// </remarks>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Bytes per block.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>How often the blocks that nobody needed give their pages back.</summary>
    public static readonly TimeSpan TrimPeriod = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<PooledBlock> _warm = new();
    private readonly ConcurrentQueue<PooledBlock> _cold = new();
    private readonly Timer? _trimmer;
    private int _warmCount;
    private int _fewestWarmSinceTrim;

    /// <summary>A pool; <paramref name="trimOnTimer"/> false leaves trimming to <see cref="Trim"/> (tests).</summary>
    public LargeBlockMemoryPool(bool trimOnTimer = true)
    {
        if (trimOnTimer) _trimmer = new Timer(static pool => ((LargeBlockMemoryPool)pool!).Trim(), this, TrimPeriod, TrimPeriod);
    }

    /// <inheritdoc/>
    public override int MaxBufferSize => BlockSize;

    /// <summary>Free blocks whose pages are resident.</summary>
    internal int WarmBlocks => Volatile.Read(ref _warmCount);

    /// <summary>Free blocks whose pages went back to the OS.</summary>
    internal int ColdBlocks => _cold.Count;

    /// <summary>
    /// A block of <see cref="BlockSize"/> bytes (pipes ask larger sizes of the array pool, never of this one): a
    /// warm one if there is one, else a cold one (its pages come back, zeroed, as they are touched), else a new one.
    /// </summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_warm.TryDequeue(out var block))
        {
            LowerFewestWarm(Interlocked.Decrement(ref _warmCount));
            return block;
        }
        return _cold.TryDequeue(out block) ? block : new PooledBlock(this);
    }

    /// <summary>
    /// Releases the pages of the blocks that were free the whole time since the last trim (the fewest warm
    /// blocks seen in between): what the period's busiest moment used stays warm.
    /// </summary>
    internal void Trim()
    {
        for (var unused = Volatile.Read(ref _fewestWarmSinceTrim); unused > 0 && _warm.TryDequeue(out var block); unused--)
        {
            Interlocked.Decrement(ref _warmCount);
            block.ReleasePages();
            _cold.Enqueue(block);
        }
        Volatile.Write(ref _fewestWarmSinceTrim, Volatile.Read(ref _warmCount));
    }

    /// <summary>A block Kestrel is done with, kept warm for the next rent.</summary>
    internal void Return(PooledBlock block)
    {
        _warm.Enqueue(block);
        Interlocked.Increment(ref _warmCount);
    }

    private void LowerFewestWarm(int warm)
    {
        for (int seen = Volatile.Read(ref _fewestWarmSinceTrim); warm < seen; seen = Volatile.Read(ref _fewestWarmSinceTrim))
        {
            if (Interlocked.CompareExchange(ref _fewestWarmSinceTrim, warm, seen) == seen) return;
        }
    }

    protected override void Dispose(bool disposing)
    {
        _trimmer?.Dispose();
        // Blocks are managed arrays: what is kept is collected with the pool.
        _warm.Clear();
        _cold.Clear();
    }
}

/// <summary>Gives Kestrel <see cref="LargeBlockMemoryPool"/>s (register it as the host's <see cref="IMemoryPoolFactory{T}"/>).</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    /// <inheritdoc/>
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}
