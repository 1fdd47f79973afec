using Gear.Core.RateLimiting;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>The columns and the small table the device-batch tests sample from, on the CPU and on the emulated device.</summary>
internal static class DeviceBatchTables
{
    /// <summary>Steps of 20, 1 and 3 bytes: vector-sized, byte-sized and odd.</summary>
    public static readonly ColumnSpec[] Columns = [new("obs", DType.F32, 5), new("flag", DType.U8), new("odd", DType.U8, 3)];

    /// <summary>40 pages of 8 steps, 12 of them in the device tier, 24 trajectories, sampled by <paramref name="sampler"/>.</summary>
    public static TableSpec Spec(string name, SelectorKind sampler) => new()
    {
        Name = name,
        Columns = Columns,
        PageSteps = 8,
        HostCapacityBytes = 24L * 8 * 40,
        DeviceCapacityBytes = 24L * 8 * 12,
        MaxTrajectories = 24,
        Sampler = sampler,
        PriorityExponent = 0.6,
        RateLimiter = RateLimiterSpec.MinSize(1),
    };
}
