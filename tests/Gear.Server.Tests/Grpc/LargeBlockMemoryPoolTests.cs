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
    public void MoreThanABlockIsRefused()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }
}
