using System.Runtime.InteropServices;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A sum tree in device memory with the layout and arithmetic of <see cref="Cpu.CpuSumTree"/> (see
/// <see cref="SumTreeLayout"/> and kernels/sumtree.cu), so that the same uniforms choose the same leaves. Every
/// call checks its arguments on the host as the CPU tree does, queues copies and kernels on the backend's
/// device, and waits for them before it returns. The total is read back after every change and kept here, so
/// that <see cref="Total"/> costs no device round trip.
/// </summary>
internal sealed unsafe class DeviceSumTree : IPrioritySumTree
{
    private readonly IDeviceRuntime _runtime;
    private readonly Lock _gate;
    private readonly SumTreeLayout _layout;
    private readonly ulong _tree;
    private readonly ulong _owner;
    private readonly ulong _levelOffsets;
    private readonly DeviceBuffer _slots;
    private readonly DeviceBuffer _values;
    private readonly double[] _total = GC.AllocateArray<double>(1, pinned: true);
    private bool _disposed;

    /// <summary>Allocates a tree of <paramref name="capacity"/> zero leaves; <paramref name="gate"/> serialises device use.</summary>
    public DeviceSumTree(IDeviceRuntime runtime, Lock gate, int capacity)
    {
        _layout = new SumTreeLayout(capacity);
        _runtime = runtime;
        _gate = gate;
        _slots = new DeviceBuffer(runtime);
        _values = new DeviceBuffer(runtime);
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
            return _total[0];
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
            var deviceSlots = _slots.Ensure((long)n * sizeof(int));
            var deviceValues = _values.Ensure((long)n * sizeof(double));
            fixed (int* s = slots)
            fixed (double* v = values)
            fixed (double* total = _total)
            {
                _runtime.CopyToDevice(deviceSlots, s, (long)n * sizeof(int));
                _runtime.CopyToDevice(deviceValues, v, (long)n * sizeof(double));
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
                _runtime.CopyToHost(total, RootAddress, sizeof(double));
                _runtime.Synchronize();
            }
        }
    }

    /// <inheritdoc/>
    public void SampleStratified(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SumTreeLayout.CheckSample(uniforms, slots.Length, values.Length, _total[0]);
        var n = uniforms.Length;
        if (n == 0)
            return;
        lock (_gate)
        {
            // The uniforms in, then the chosen slots and values out, share the two scratch buffers.
            var deviceSlots = _slots.Ensure((long)n * sizeof(int));
            var deviceValues = _values.Ensure((long)n * sizeof(double) * 2);
            var deviceUniforms = deviceValues + (ulong)n * sizeof(double);
            fixed (double* u = uniforms)
            fixed (int* s = slots)
            fixed (double* v = values)
            {
                _runtime.CopyToDevice(deviceUniforms, u, (long)n * sizeof(double));
                var tree = _tree;
                var offsets = _levelOffsets;
                var top = _layout.Top;
                void** args = stackalloc void*[7];
                args[0] = &tree; args[1] = &offsets; args[2] = &top; args[3] = &deviceUniforms; args[4] = &n;
                args[5] = &deviceSlots; args[6] = &deviceValues;
                _runtime.Launch(Kernel.TreeSample, LaunchShape.Blocks(n), 1, LaunchShape.BlockThreads, args);
                _runtime.CopyToHost(s, deviceSlots, (long)n * sizeof(int));
                _runtime.CopyToHost(v, deviceValues, (long)n * sizeof(double));
                _runtime.Synchronize();
            }
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

    private ulong RootAddress => _tree + (ulong)_layout.LevelOffsets[_layout.Top] * sizeof(double);

    // Zero doubles are zero bits, and -1 (no claim) is all ones.
    private void ClearQueued()
    {
        _runtime.Fill32(_tree, 0, _layout.Doubles * 2);
        _runtime.Fill32(_owner, uint.MaxValue, Capacity);
        _total[0] = 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (_gate)
        {
            _slots.Dispose();
            _values.Dispose();
            _runtime.Free(_tree);
            _runtime.Free(_owner);
            _runtime.Free(_levelOffsets);
        }
    }
}
