using Gear.Core.Schema;
using Gear.Core.Storage;

namespace Gear.Core.Tests.Storage;

[TestClass]
public sealed unsafe class PagedStorageTests
{
    private static readonly ColumnSpec[] Columns = [new("obs", DType.U8, 100), new("reward", DType.F32)];

    [TestMethod]
    public void PoolsArePageAlignedAndAccountingAddsUp()
    {
        using var storage = new PagedStorage(Columns, pageSteps: 8, pageCount: 10);
        Assert.AreEqual(0, (long)storage.PoolBase(0) % NativeBuffer.Alignment);
        Assert.AreEqual(0, (long)storage.PoolBase(1) % NativeBuffer.Alignment);
        Assert.AreEqual(8 * 104, storage.BytesPerPage);
        Assert.IsTrue(storage.BytesReserved >= 10 * storage.BytesPerPage);
        Assert.AreEqual(10, storage.PagesFree);
        Assert.AreEqual(0, storage.BytesUsed);

        var pages = Enumerable.Range(0, 10).Select(_ => storage.TryAllocatePage()).ToArray();
        CollectionAssert.AllItemsAreUnique(pages);
        Assert.AreEqual(-1, storage.TryAllocatePage());
        Assert.AreEqual(10 * storage.BytesPerPage, storage.BytesUsed);

        // Free in an arbitrary order; every page comes back, no fragmentation.
        foreach (var page in pages.Reverse().Where((_, i) => i % 2 == 0).Concat(pages.Where((_, i) => i % 2 == 0)))
            storage.FreePage(page);
        Assert.AreEqual(10, storage.PagesFree);
        Assert.ThrowsException<InvalidOperationException>(() => storage.FreePage(0));
    }

    [TestMethod]
    public void TheDeviceTierIsTheLowestPagesThatFitTheBudgetAndItsUseIsCounted()
    {
        // 8 steps × 104 bytes = 832 bytes a page: a budget of 3.5 pages holds 3.
        using var storage = new PagedStorage(Columns, pageSteps: 8, pageCount: 10, deviceTierBytes: 832 * 7 / 2);
        Assert.AreEqual(3, storage.DeviceTierPages);
        Assert.AreEqual(3 * 832, storage.DeviceTierBytes);

        var pages = Enumerable.Range(0, 5).Select(_ => storage.TryAllocatePage()).ToArray(); // low ids first: 0..4
        Assert.AreEqual(3 * 832, storage.DeviceTierBytesUsed);
        storage.FreePage(pages[1]);
        storage.FreePage(pages[4]);
        Assert.AreEqual(2 * 832, storage.DeviceTierBytesUsed);

        storage.RestoreUsedPages([true, false, false, true, false, false, false, false, false, false]);
        Assert.AreEqual(832, storage.DeviceTierBytesUsed, "page 0 is in the tier, page 3 is not");
    }

    [TestMethod]
    public void ABudgetBeyondTheArenaPutsEveryPageInTheDeviceTier()
    {
        using var storage = new PagedStorage(Columns, pageSteps: 8, pageCount: 4, deviceTierBytes: long.MaxValue);
        Assert.AreEqual(4, storage.DeviceTierPages);
    }

    [TestMethod]
    public void AddressesAreDisjointAndConstantTime()
    {
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 3);
        var seen = new HashSet<long>();
        for (var column = 0; column < 2; column++)
        for (var page = 0; page < 3; page++)
        for (var step = 0; step < 4; step++)
        {
            var address = (long)storage.StepAddress(column, page, step);
            Assert.AreEqual((long)storage.PoolBase(column) + page * storage.PageBytes(column) + step * storage.StepBytes(column), address);
            Assert.IsTrue(seen.Add(address));
            // The whole step lies inside the column's pool.
            Assert.IsTrue(address + storage.StepBytes(column) <= (long)storage.PoolBase(column) + 3 * storage.PageBytes(column));
        }
    }
}
