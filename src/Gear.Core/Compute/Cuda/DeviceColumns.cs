using Gear.Core.Sampling;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A <see cref="DeviceBatch"/>'s outputs in device memory: one buffer per column (room for the full batch, rounded
/// up to 16 bytes) and the mask, which the gather kernels write instead of the batch's host buffers. Set as the
/// batch's <see cref="WindowBatch.DeviceMapping"/>, so that a table's sample reaches them through the backend's
/// gather unchanged; freed once, with the batch or the backend, under the backend's gate.
/// </summary>
internal sealed unsafe class DeviceColumns : IGatherTarget
{
    private readonly Lock _gate;
    private readonly ulong[] _outputs;
    private readonly GatherColumnTable _columnTable;

    /// <summary>Allocates the outputs of <paramref name="batch"/>'s geometry on <paramref name="runtime"/>; call under <paramref name="gate"/>.</summary>
    public DeviceColumns(IDeviceRuntime runtime, Lock gate, WindowBatch batch)
    {
        Runtime = runtime;
        _gate = gate;
        _columnTable = new GatherColumnTable(runtime);
        var steps = (long)batch.BatchSize * batch.WindowLength;
        _outputs = new ulong[batch.Columns.Count];
        try
        {
            for (var c = 0; c < _outputs.Length; c++)
                _outputs[c] = runtime.Allocate(Padded(steps * batch.Columns[c].StepBytes));
            Mask = runtime.Allocate(Padded(steps));
            _columnTable.Upload(_outputs, batch.Columns);
        }
        catch
        {
            Free();
            throw;
        }
    }

    /// <summary>The device the outputs live on.</summary>
    public IDeviceRuntime Runtime { get; }

    /// <inheritdoc/>
    public ulong ColumnOutputs => _columnTable.ColumnOutputs;

    /// <inheritdoc/>
    public ulong ColumnStepBytes => _columnTable.ColumnStepBytes;

    /// <inheritdoc/>
    public ulong Mask { get; private set; }

    /// <inheritdoc/>
    public bool Released { get; private set; }

    /// <summary>The device address of <paramref name="column"/>'s output.</summary>
    public ulong Column(int column)
    {
        ObjectDisposedException.ThrowIf(Released, this);
        return _outputs[column];
    }

    /// <summary>Copies <paramref name="bytes"/> from the device address <paramref name="source"/> (one of these outputs) to <paramref name="destination"/>.</summary>
    public void CopyToHost(ulong source, void* destination, long bytes)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(Released, this);
            Runtime.CopyToHost(destination, source, bytes);
            Runtime.Synchronize();
        }
    }

    /// <summary>Fills every output with <paramref name="value"/> (tests poison them, so that an unwritten byte shows).</summary>
    internal void Fill(byte value, WindowBatch batch)
    {
        var steps = (long)batch.BatchSize * batch.WindowLength;
        var word = value * 0x01010101u;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(Released, this);
            for (var c = 0; c < _outputs.Length; c++)
                Runtime.Fill32(_outputs[c], word, Padded(steps * batch.Columns[c].StepBytes) / 4);
            Runtime.Fill32(Mask, word, Padded(steps) / 4);
            Runtime.Synchronize();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
            Free();
    }

    private void Free()
    {
        if (Released)
            return;
        Released = true;
        // A queued gather may still be writing the outputs (DeviceBatch.SampleQueuedAsync).
        Runtime.Synchronize();
        foreach (var output in _outputs)
        {
            if (output != 0)
                Runtime.Free(output);
        }
        if (Mask != 0)
            Runtime.Free(Mask);
        Mask = 0;
        _columnTable.Dispose();
    }

    /// <summary>Rounded up to 16 bytes: the kernel's vector stores and the 32-bit fills stay inside.</summary>
    private static long Padded(long bytes) => Math.Max(16, (bytes + 15) & ~15L);
}
