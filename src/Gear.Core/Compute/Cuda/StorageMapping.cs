using System.Collections.Concurrent;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A table's arena as the device sees it: every column's pool registered (page-locked and mapped, so kernels read
/// host pages zero-copy over the bus); the device tier, device copies of pages [0, <see cref="PagedStorage.DeviceTierPages"/>)
/// of every column; and a device table of each page's device-visible address ([column × PageCount + page]):
/// the tier copy for tier pages, the mapped host page for the rest. The gather kernel reads pages only through
/// that table, so one launch reads both tiers.
/// </summary>
/// <remarks>
/// <para>
/// Host pages stay authoritative: an insert writes the host page, then <see cref="Written"/> queues the range
/// (a lock-free enqueue, so the insert path never waits for the device), and the next gather first copies every
/// queued range to the tier with async copies on the device's stream, ahead of its kernels. A range is queued
/// before the table publishes the steps, so any gather that can see them also copies them.
/// </para>
/// <para>Registering a pool page-locks all of it, so a table's whole host arena is committed on its first gather.</para>
/// </remarks>
internal sealed unsafe class StorageMapping : HostRegistration, IDeviceMirror
{
    private readonly PagedStorage _storage;
    private readonly ulong[] _tier; // device address of each column's tier pool (0 without a tier)
    private readonly ConcurrentQueue<PendingWrite> _pending = new();

    /// <summary>Maps <paramref name="storage"/>'s pools and allocates its tier; call under <paramref name="gate"/>, then <see cref="Populate"/>.</summary>
    public StorageMapping(IDeviceRuntime runtime, Lock gate, PagedStorage storage)
        : base(storage, runtime, gate)
    {
        _storage = storage;
        _tier = new ulong[storage.ColumnCount];
        var addresses = new ulong[(long)storage.ColumnCount * storage.PageCount];
        try
        {
            for (var c = 0; c < storage.ColumnCount; c++)
            {
                var mapped = Map(storage.PoolBase(c), storage.PoolBytes(c));
                if (storage.DeviceTierPages > 0)
                    _tier[c] = runtime.Allocate(storage.DeviceTierPages * storage.PageBytes(c));
                for (var page = 0; page < storage.PageCount; page++)
                {
                    var onDevice = page < storage.DeviceTierPages;
                    addresses[(long)c * storage.PageCount + page] = (onDevice ? _tier[c] : mapped) + (ulong)(page * storage.PageBytes(c));
                }
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

    /// <summary>
    /// Copies the tier pages' current host contents to the device (queued). Called after the storage names this
    /// mapping, so a write that did not see the mapping finished before this copy reads its bytes.
    /// </summary>
    public void Populate()
    {
        if (_storage.DeviceTierPages == 0)
            return;
        for (var c = 0; c < _storage.ColumnCount; c++)
            Runtime.CopyToDevice(_tier[c], _storage.PoolBase(c), _storage.DeviceTierPages * _storage.PageBytes(c));
    }

    /// <inheritdoc/>
    public void Written(int column, int page, int stepInPage, int steps)
    {
        if (page < _storage.DeviceTierPages)
            _pending.Enqueue(new PendingWrite(column, page, stepInPage, steps));
    }

    /// <summary>Queues the copies of every write reported since the last call, ahead of the caller's kernels; call under the gate.</summary>
    public void CopyPendingWrites()
    {
        while (_pending.TryDequeue(out var write))
        {
            var stepBytes = _storage.StepBytes(write.Column);
            var offset = write.Page * _storage.PageBytes(write.Column) + (long)write.StepInPage * stepBytes;
            Runtime.CopyToDevice(_tier[write.Column] + (ulong)offset, _storage.PoolBase(write.Column) + offset, (long)write.Steps * stepBytes);
        }
    }

    /// <inheritdoc/>
    protected override void FreeDeviceMemory()
    {
        foreach (var tier in _tier)
        {
            if (tier != 0)
                Runtime.Free(tier);
        }
        if (PageAddresses != 0)
            Runtime.Free(PageAddresses);
    }

    private readonly record struct PendingWrite(int Column, int Page, int StepInPage, int Steps);
}
