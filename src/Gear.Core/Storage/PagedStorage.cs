using Gear.Core.Schema;

namespace Gear.Core.Storage;

/// <summary>
/// The paged columnar arena of one table. Every column has its own pool of <see cref="PageCount"/> pages of
/// <see cref="PageSteps"/> steps, allocated once; a page id names the same page in every column's pool, so one
/// page table per trajectory serves all columns. The address of (page, step, column) is
/// base[column] + page × pageBytes[column] + step × stepBytes[column]: O(1), no padding to a maximum length,
/// and any page can be freed in any order without fragmentation.
/// </summary>
/// <remarks>Page allocation is not thread-safe: the table calls it under its lock. Reading and writing the
/// bytes of pages a caller owns needs no lock.</remarks>
public sealed unsafe class PagedStorage : IDisposable
{
    private readonly NativeBuffer[] _pools;
    private readonly byte*[] _bases;
    private readonly int[] _stepBytes;
    private readonly long[] _pageBytes;
    private readonly int[] _freePages;
    private int _freeCount;

    private IDeviceMirror? _deviceMapping;
    private int _tierPagesUsed;

    /// <summary>
    /// Allocates one pool per column. <paramref name="deviceTierBytes"/> is the table's device-memory budget: a
    /// device backend keeps copies of the lowest page ids that fit in it (over all columns) in device memory and
    /// reads them there; the host pools always hold every page, and the CPU backend ignores the budget.
    /// </summary>
    public PagedStorage(IReadOnlyList<ColumnSpec> columns, int pageSteps, int pageCount, long deviceTierBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceTierBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageCount, 1);
        if (pageSteps < 1 || (pageSteps & (pageSteps - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pageSteps), pageSteps, "must be a power of two");

        PageSteps = pageSteps;
        PageShift = System.Numerics.BitOperations.Log2((uint)pageSteps);
        PageCount = pageCount;
        _pools = new NativeBuffer[columns.Count];
        _bases = new byte*[columns.Count];
        _stepBytes = new int[columns.Count];
        _pageBytes = new long[columns.Count];
        try
        {
            for (var c = 0; c < columns.Count; c++)
            {
                _stepBytes[c] = columns[c].StepBytes;
                _pageBytes[c] = (long)columns[c].StepBytes * pageSteps;
                _pools[c] = new NativeBuffer(_pageBytes[c] * pageCount);
                _bases[c] = _pools[c].Pointer;
                BytesReserved += _pools[c].Capacity;
                BytesPerPage += _pageBytes[c];
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        DeviceTierPages = BytesPerPage > 0 ? (int)Math.Min(pageCount, deviceTierBytes / BytesPerPage) : 0;

        // Hand out low page ids first: a young table touches the start of each pool only (and lives in the device tier).
        _freePages = new int[pageCount];
        for (var i = 0; i < pageCount; i++)
            _freePages[i] = pageCount - 1 - i;
        _freeCount = pageCount;
    }

    /// <summary>Steps per page (a power of two).</summary>
    public int PageSteps { get; }

    /// <summary>log2(<see cref="PageSteps"/>): a step's page index is step &gt;&gt; PageShift.</summary>
    public int PageShift { get; }

    /// <summary>Pages in each column's pool.</summary>
    public int PageCount { get; }

    /// <summary>Pages [0, DeviceTierPages) that a device backend also keeps in device memory (see the constructor).</summary>
    public int DeviceTierPages { get; }

    /// <summary>Bytes of the device tier (what a device backend reserves in device memory for this arena).</summary>
    public long DeviceTierBytes => DeviceTierPages * BytesPerPage;

    /// <summary>Bytes of device-tier pages currently owned by trajectories.</summary>
    public long DeviceTierBytesUsed => _tierPagesUsed * BytesPerPage;

    /// <summary>Columns held.</summary>
    public int ColumnCount => _pools.Length;

    /// <summary>Bytes of one page over all columns.</summary>
    public long BytesPerPage { get; }

    /// <summary>Bytes of host memory reserved for the pools.</summary>
    public long BytesReserved { get; }

    /// <summary>Bytes of pages currently owned by trajectories.</summary>
    public long BytesUsed => (long)(PageCount - _freeCount) * BytesPerPage;

    /// <summary>Pages not owned by any trajectory.</summary>
    public int PagesFree => _freeCount;

    /// <summary>Bytes of one step of <paramref name="column"/>.</summary>
    public int StepBytes(int column) => _stepBytes[column];

    /// <summary>Bytes of one page of <paramref name="column"/>.</summary>
    public long PageBytes(int column) => _pageBytes[column];

    /// <summary>Bytes reserved for <paramref name="column"/>'s pool (from <see cref="PoolBase"/>; page-aligned).</summary>
    public long PoolBytes(int column) => _pools[column].Capacity;

    /// <summary>
    /// What a device backend keeps for this arena (its pools registered with the device, device copies of the tier
    /// pages, a table of the pages' device addresses); disposed before the pools are freed, so that no device
    /// mapping outlives its memory. Set before the backend copies any page, so a write that finds it null
    /// happened before that copy (see <see cref="NotifyWritten"/>).
    /// </summary>
    internal IDeviceMirror? DeviceMapping
    {
        get => Volatile.Read(ref _deviceMapping);
        set => Volatile.Write(ref _deviceMapping, value);
    }

    /// <summary>
    /// Tells a device backend that steps [<paramref name="stepInPage"/>, + <paramref name="steps"/>) of
    /// <paramref name="page"/> in <paramref name="column"/> were rewritten in host memory, so that it refreshes
    /// its device copy before its next read. Call after the bytes are written and before they are published.
    /// </summary>
    public void NotifyWritten(int column, int page, int stepInPage, int steps) =>
        DeviceMapping?.Written(column, page, stepInPage, steps);

    /// <summary>First byte of <paramref name="column"/>'s pool.</summary>
    public byte* PoolBase(int column) => _bases[column];

    /// <summary>Address of step <paramref name="stepInPage"/> of page <paramref name="page"/> in <paramref name="column"/>.</summary>
    public byte* StepAddress(int column, int page, int stepInPage) =>
        _bases[column] + page * _pageBytes[column] + (long)stepInPage * _stepBytes[column];

    /// <summary>Takes a free page, or returns -1 when none is free.</summary>
    public int TryAllocatePage()
    {
        if (_freeCount == 0)
            return -1;
        var page = _freePages[--_freeCount];
        if (page < DeviceTierPages)
            _tierPagesUsed++;
        return page;
    }

    /// <summary>Returns a page to the free pool.</summary>
    public void FreePage(int page)
    {
        if ((uint)page >= (uint)PageCount || _freeCount == PageCount)
            throw new InvalidOperationException($"page {page} cannot be freed: out of range or every page is already free");
        _freePages[_freeCount++] = page;
        if (page < DeviceTierPages)
            _tierPagesUsed--;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Interlocked.Exchange(ref _deviceMapping, null)?.Dispose();
        foreach (var pool in _pools)
            pool?.Dispose();
    }

    /// <summary>
    /// Marks exactly the pages in <paramref name="used"/> as owned (from a checkpoint), every other page free,
    /// low ids handed out first as in a new arena.
    /// </summary>
    internal void RestoreUsedPages(bool[] used)
    {
        _freeCount = 0;
        _tierPagesUsed = 0;
        for (var page = PageCount - 1; page >= 0; page--)
        {
            if (!used[page])
                _freePages[_freeCount++] = page;
            else if (page < DeviceTierPages)
                _tierPagesUsed++;
        }
    }
}

/// <summary>A device backend's state for an arena: told of host writes so that its device copies stay current.</summary>
internal interface IDeviceMirror : IDisposable
{
    /// <summary>Steps [stepInPage, stepInPage + steps) of a page in a column were rewritten in host memory.</summary>
    void Written(int column, int page, int stepInPage, int steps);
}
