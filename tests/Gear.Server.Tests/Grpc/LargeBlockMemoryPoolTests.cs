using Gear.Server.Grpc;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class LargeBlockMemoryPoolTests
{
    [TestMethod]
    public void BlocksAre64KiBAndComeBackForReuse()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        Assert.AreEqual(LargeBlockMemoryPool.BlockSize, pool.MaxBufferSize);

        var first = pool.Rent(2048);
        var second = pool.Rent();
        Assert.AreEqual(64 * 1024, first.Memory.Length);
        Assert.AreNotSame(first, second, "a block is lent to one owner at a time");
        first.Dispose();

        using var reused = pool.Rent(LargeBlockMemoryPool.BlockSize);
        Assert.AreSame(first, reused);
        second.Dispose();
    }

    [TestMethod]
    public void BlocksAreWritableFixedMemory()
    {
        using var pool = new LargeBlockMemoryPool(trimOnTimer: false);
        using var block = pool.Rent();
        block.Memory.Span.Fill(0xA5);
        using var pin = block.Memory.Pin();
        unsafe
        {
            var bytes = new ReadOnlySpan<byte>(pin.Pointer, LargeBlockMemoryPool.BlockSize);
            Assert.IsTrue(bytes.IndexOfAnyExcept((byte)0xA5) < 0);
        }
    }

    [TestMethod]
    public void ATrimReleasesTheBlocksThatStayedFreeThroughThePeriodAndKeepsTheWorkingSet()
    {
        using var pool = new LargeBlockMemoryPool(trimOnTimer: false);
        var burst = Enumerable.Range(0, 100).Select(_ => pool.Rent()).ToList();
        burst.ForEach(block => block.Dispose());
        Assert.AreEqual(100, pool.WarmBlocks);

        pool.Trim(); // the burst's blocks were in use during this period: all stay warm
        Assert.AreEqual(100, pool.WarmBlocks);

        // The next period needs 10 at once: the other 90 were never used, and go cold.
        var working = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        working.ForEach(block => block.Dispose());
        pool.Trim();
        Assert.AreEqual(10, pool.WarmBlocks);
        Assert.AreEqual(90, pool.ColdBlocks);

        // A block rented across a trim is not touched by it, and comes back warm afterwards.
        var held = pool.Rent();
        pool.Trim();
        Assert.AreEqual(0, pool.WarmBlocks);
        Assert.AreEqual(99, pool.ColdBlocks);
        held.Dispose();
        using var again = pool.Rent();
        Assert.AreSame(held, again, "warm blocks are lent before cold ones");
    }

    [TestMethod]
    public void AColdBlockHasGivenItsPagesBackAndIsUsableAgain()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("pages are released with madvise on Linux only");
        using var pool = new LargeBlockMemoryPool(trimOnTimer: false);
        var block = pool.Rent();
        block.Memory.Span.Fill(0xA5);
        block.Dispose();
        pool.Trim();
        pool.Trim();
        Assert.AreEqual(1, pool.ColdBlocks);

        using var cold = pool.Rent();
        Assert.AreSame(block, cold);
        // The whole pages inside the block read as zero: the OS dropped what was written (the partial pages at
        // either end, shared with the array's header or a neighbour, are kept).
        Span<byte> middle = cold.Memory.Span[4096..^4096];
        Assert.IsTrue(middle.IndexOfAnyExcept((byte)0) < 0, "the released pages come back zeroed");
        cold.Memory.Span.Fill(0x5A);
        Assert.IsTrue(cold.Memory.Span.IndexOfAnyExcept((byte)0x5A) < 0);
    }

    [TestMethod]
    public void MoreThanABlockIsRefused()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }
}
