using System.Runtime.InteropServices;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A sum tree in device memory with the layout and arithmetic of <see cref="Cpu.CpuSumTree"/> (see
/// <see cref="SumTreeLayout"/> and kernels/sumtree.cu), so that the same uniforms choose the same leaves. Every
/// call checks its arguments on the host as the CPU tree does, queues copies and kernels on the backend's
/// device, and waits for them once before it returns. The total is read back after every change and kept here,
/// so that <see cref="Total"/> costs no device round trip.
/// </summary>
/// <remarks>
/// A batch's inputs and results pass through one pinned staging buffer (<see cref="PinnedStaging"/>), laid out
/// as the device scratch is, so that each direction is one asynchronous copy. From pageable memory the driver
/// stages every copy itself and returns only when it is done, and a copy back waits for the kernels before it:
/// each of those is a round trip of its own, on a path (a prioritized sample and its update) that is mostly
/// fixed costs for a batch of a few hundred.
/// </remarks>
internal sealed unsafe class DeviceSumTree : IPrioritySumTree
{
    private readonly IDeviceRuntime _runtime;
    private readonly Lock _gate;
    private readonly SumTreeLayout _layout;
    private readonly ulong _tree;
    private readonly ulong _owner;
    private readonly ulong _levelOffsets;
    private readonly DeviceBuffer _scratch;
    private readonly PinnedStaging _staging;
    private double _total;
    private bool _disposed;

    /// <summary>Allocates a tree of <paramref name="capacity"/> zero leaves; <paramref name="gate"/> serialises device use.</summary>
    public DeviceSumTree(IDeviceRuntime runtime, Lock gate, int capacity)
    {
        _layout = new SumTreeLayout(capacity);
        _runtime = runtime;
        _gate = gate;
        _scratch = new DeviceBuffer(runtime);
        _staging = new PinnedStaging(runtime);
        lock (_gate)
        {
            _tree = runtime.Allocate(_layout.Doubles * sizeof(double));
            _owner = runtime.Allocate((long)capacity * sizeof(int));
            _levelOffsets = runtime.Allocate(_layout.LevelOffsets.Length * sizeof(int));
            fixed (int* offsets = _layout.LevelOffsets)
            {
                runtime.CopyToDevice(_levelOffsets, offsets, _layout.LevelOffsets.Length * sizeof(int));
                ClearQueued();
                runtime.Synchronize();
            }
        }
    }

    /// <inheritdoc/>
    public int Capacity => _layout.Capacity;

    /// <inheritdoc/>
    public double Total
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _total;
        }
    }

    /// <inheritdoc/>
    public double Get(int slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _layout.CheckSlot(slot);
        double value;
        lock (_gate)
        {
            _runtime.CopyToHost(&value, _tree + (ulong)slot * sizeof(double), sizeof(double));
            _runtime.Synchronize();
        }
        return value;
    }

    /// <inheritdoc/>
    public void Set(int slot, double value) =>
        SetBatch(MemoryMarshal.CreateReadOnlySpan(ref slot, 1), MemoryMarshal.CreateReadOnlySpan(ref value, 1));

    /// <inheritdoc/>
    /// <remarks>
    /// Four phases, each a launch over the batch: the last entry for each slot claims it, the claiming entries
    /// write their leaves, the claims are released, then each level's ancestors are recomputed from the leaves up
    /// (one launch per level, so every node is recomputed after its children are final). Every slot and value is
    /// checked first, so a refused batch changes nothing.
    /// </remarks>
    public void SetBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _layout.CheckBatch(slots, values);
        var n = slots.Length;
        if (n == 0)
            return;
        lock (_gate)
        {
            // Staging and scratch alike: the slots, the values (8-byte aligned), then (staging only) the total read back.
            var valuesAt = AlignTo8((long)n * sizeof(int));
            var inputBytes = valuesAt + (long)n * sizeof(double);
            var host = _staging.Ensure(inputBytes + sizeof(double));
            slots.CopyTo(new Span<int>(host, n));
            values.CopyTo(new Span<double>(host + valuesAt, n));
            var deviceSlots = _scratch.Ensure(inputBytes);
            var deviceValues = deviceSlots + (ulong)valuesAt;
            _runtime.CopyToDevice(deviceSlots, host, inputBytes);

            var blocks = LaunchShape.Blocks(n);
            var owner = _owner;
            var leaves = _tree;
            void** args = stackalloc void*[5];
            args[0] = &deviceSlots; args[1] = &n; args[2] = &owner;
            _runtime.Launch(Kernel.TreeClaim, blocks, 1, LaunchShape.BlockThreads, args);
            args[0] = &deviceSlots; args[1] = &deviceValues; args[2] = &n; args[3] = &owner; args[4] = &leaves;
            _runtime.Launch(Kernel.TreeWriteLeaves, blocks, 1, LaunchShape.BlockThreads, args);
            args[0] = &deviceSlots; args[1] = &n; args[2] = &owner;
            _runtime.Launch(Kernel.TreeRelease, blocks, 1, LaunchShape.BlockThreads, args);
            for (var k = 1; k <= _layout.Top; k++)
            {
                var shift = 3 * k;
                var below = _tree + (ulong)_layout.LevelOffsets[k - 1] * sizeof(double);
                var level = _tree + (ulong)_layout.LevelOffsets[k] * sizeof(double);
                args[0] = &deviceSlots; args[1] = &n; args[2] = &shift; args[3] = &below; args[4] = &level;
                _runtime.Launch(Kernel.TreeUpdateLevel, blocks, 1, LaunchShape.BlockThreads, args);
            }
            var total = (double*)(host + inputBytes);
            _runtime.CopyToHost(total, RootAddress, sizeof(double));
            _runtime.Synchronize();
            _total = *total;
        }
    }

    /// <inheritdoc/>
    public void SampleStratified(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SumTreeLayout.CheckSample(uniforms, slots.Length, values.Length, _total);
        var n = uniforms.Length;
        if (n == 0)
            return;
        lock (_gate)
        {
            // Staging and scratch alike: the uniforms in, then the chosen values and slots out, which come back in one copy.
            var valuesAt = (long)n * sizeof(double);
            var slotsAt = valuesAt + (long)n * sizeof(double);
            var bytes = slotsAt + (long)n * sizeof(int);
            var host = _staging.Ensure(bytes);
            uniforms.CopyTo(new Span<double>(host, n));
            var deviceUniforms = _scratch.Ensure(bytes);
            var deviceValues = deviceUniforms + (ulong)valuesAt;
            var deviceSlots = deviceUniforms + (ulong)slotsAt;
            _runtime.CopyToDevice(deviceUniforms, host, valuesAt);
            var tree = _tree;
            var offsets = _levelOffsets;
            var top = _layout.Top;
            void** args = stackalloc void*[7];
            args[0] = &tree; args[1] = &offsets; args[2] = &top; args[3] = &deviceUniforms; args[4] = &n;
            args[5] = &deviceSlots; args[6] = &deviceValues;
            _runtime.Launch(Kernel.TreeSample, LaunchShape.Blocks(n), 1, LaunchShape.BlockThreads, args);
            _runtime.CopyToHost(host + valuesAt, deviceValues, bytes - valuesAt);
            _runtime.Synchronize();
            new ReadOnlySpan<double>(host + valuesAt, n).CopyTo(values);
            new ReadOnlySpan<int>(host + slotsAt, n).CopyTo(slots);
        }
    }

    /// <inheritdoc/>
    public void Clear()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            ClearQueued();
            _runtime.Synchronize();
        }
    }

    private static long AlignTo8(long bytes) => (bytes + 7) & ~7L;

    private ulong RootAddress => _tree + (ulong)_layout.LevelOffsets[_layout.Top] * sizeof(double);

    // Zero doubles are zero bits, and -1 (no claim) is all ones.
    private void ClearQueued()
    {
        _runtime.Fill32(_tree, 0, _layout.Doubles * 2);
        _runtime.Fill32(_owner, uint.MaxValue, Capacity);
        _total = 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (_gate)
        {
            _scratch.Dispose();
            _staging.Dispose();
            _runtime.Free(_tree);
            _runtime.Free(_owner);
            _runtime.Free(_levelOffsets);
        }
    }
}
