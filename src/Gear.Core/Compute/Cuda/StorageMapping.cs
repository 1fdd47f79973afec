using Gear.Core.Storage;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A table's arena as the device sees it: every column's pool registered (page-locked and mapped, so kernels read
/// the pages zero-copy over the bus) and a device table of each page's device-visible address, per column
/// ([column × PageCount + page]). The gather kernel reads pages only through this table, which is what lets a
/// page live in device memory instead (a device tier only rewrites entries of the table).
/// </summary>
/// <remarks>Registering a pool page-locks all of it, so a table's whole host arena is committed on its first gather.</remarks>
internal sealed unsafe class StorageMapping : IDisposable
{
    private readonly IDeviceRuntime _runtime;
    private readonly Lock _gate;
    private readonly PagedStorage _storage;
    private readonly List<nint> _registered = [];
    private bool _disposed;

    /// <summary>Maps <paramref name="storage"/>'s pools; call under <paramref name="gate"/>.</summary>
    public StorageMapping(IDeviceRuntime runtime, Lock gate, PagedStorage storage)
    {
        _runtime = runtime;
        _gate = gate;
        _storage = storage;
        var addresses = new ulong[(long)storage.ColumnCount * storage.PageCount];
        try
        {
            for (var c = 0; c < storage.ColumnCount; c++)
            {
                var pool = storage.PoolBase(c);
                var deviceBase = runtime.MapHost(pool, storage.PoolBytes(c));
                _registered.Add((nint)pool);
                for (var page = 0; page < storage.PageCount; page++)
                    addresses[(long)c * storage.PageCount + page] = deviceBase + (ulong)(page * storage.PageBytes(c));
            }
            PageAddresses = runtime.Allocate(addresses.Length * sizeof(ulong));
            fixed (ulong* a = addresses)
            {
                runtime.CopyToDevice(PageAddresses, a, addresses.Length * sizeof(ulong));
                runtime.Synchronize();
            }
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Device address of the page-address table.</summary>
    public ulong PageAddresses { get; }

    /// <summary>Whether this maps <paramref name="storage"/> for <paramref name="runtime"/>.</summary>
    public bool Maps(PagedStorage storage, IDeviceRuntime runtime) => !_disposed && ReferenceEquals(storage, _storage) && ReferenceEquals(runtime, _runtime);

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
            Release();
    }

    private void Release()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var pool in _registered)
            _runtime.UnmapHost((void*)pool);
        if (PageAddresses != 0)
            _runtime.Free(PageAddresses);
    }
}
