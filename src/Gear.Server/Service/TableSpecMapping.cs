using Gear.Core.Errors;
using Gear.Core.RateLimiting;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>
/// Translates table specs between the wire contract (gear.v1.TableSpec) and Gear.Core. Fields the wire leaves
/// unset get the documented defaults here; everything else is validated by Gear.Core, whose messages name the
/// field at fault.
/// </summary>
internal static class TableSpecMapping
{
    /// <summary>The Core spec for a wire spec.</summary>
    /// <exception cref="GearException">InvalidArgument naming the field that is missing or unknown.</exception>
    public static TableSpec ToCore(Wire.TableSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var columns = new ColumnSpec[spec.Columns.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var column = spec.Columns[i];
            columns[i] = new ColumnSpec(column.Name, ToCore(column.Dtype, $"columns[{i}].dtype"), column.Shape.ToArray());
        }
        if (spec.Sampler == Wire.Selector.Unspecified)
            throw Invalid("sampler must be set (uniform, prioritized, top_k, fifo, lifo, min_heap, max_heap or uniform_without_replacement)");
        return new TableSpec
        {
            Name = spec.Name,
            Columns = columns,
            HostCapacityBytes = spec.HostCapacityBytes,
            DeviceCapacityBytes = spec.DeviceCapacityBytes,
            MaxTrajectories = spec.MaxTrajectories,
            PageSteps = spec.PageSteps == 0 ? TableSpec.DefaultPageSteps : spec.PageSteps,
            Granularity = spec.Granularity switch
            {
                Wire.ItemGranularity.Unspecified or Wire.ItemGranularity.Trajectory => ItemGranularity.Trajectory,
                Wire.ItemGranularity.Step => ItemGranularity.Step,
                _ => throw Invalid($"granularity {(int)spec.Granularity} is not a known item granularity"),
            },
            Sampler = ToCore(spec.Sampler, "sampler"),
            Remover = spec.Remover == Wire.Selector.Unspecified ? SelectorKind.Fifo : ToCore(spec.Remover, "remover"),
            PriorityExponent = spec.HasPriorityExponent ? spec.PriorityExponent : 1.0,
            MaxTimesSampled = spec.MaxTimesSampled,
            RateLimiter = ToCore(spec.RateLimiter),
            RemoverSeed = spec.RemoverSeed,
        };
    }

    /// <summary>The wire spec for a Core spec (what ListTables reports, defaults filled in).</summary>
    public static Wire.TableSpec ToWire(TableSpec spec)
    {
        var wire = new Wire.TableSpec
        {
            Name = spec.Name,
            HostCapacityBytes = spec.HostCapacityBytes,
            DeviceCapacityBytes = spec.DeviceCapacityBytes,
            MaxTrajectories = spec.MaxTrajectories,
            PageSteps = spec.PageSteps,
            Granularity = spec.Granularity == ItemGranularity.Step ? Wire.ItemGranularity.Step : Wire.ItemGranularity.Trajectory,
            Sampler = ToWire(spec.Sampler),
            Remover = ToWire(spec.Remover),
            PriorityExponent = spec.PriorityExponent,
            MaxTimesSampled = spec.MaxTimesSampled,
            RateLimiter = new Wire.RateLimiterSpec
            {
                Explicit = new Wire.RateLimiterSpec.Types.Explicit
                {
                    SamplesPerInsert = spec.RateLimiter.SamplesPerInsert,
                    MinSizeToSample = spec.RateLimiter.MinSizeToSample,
                    MinDiff = spec.RateLimiter.MinDiff,
                    MaxDiff = spec.RateLimiter.MaxDiff,
                },
            },
            RemoverSeed = spec.RemoverSeed,
        };
        foreach (var column in spec.Columns)
        {
            var wireColumn = new Wire.ColumnSpec { Name = column.Name, Dtype = (Wire.DType)(int)column.DType };
            wireColumn.Shape.AddRange(column.Shape);
            wire.Columns.Add(wireColumn);
        }
        return wire;
    }

    private static DType ToCore(Wire.DType dtype, string field)
    {
        // The wire enum and the Core enum share their values; 0 is "unspecified" in both.
        var core = (DType)(int)dtype;
        if (dtype == Wire.DType.Unspecified || !DTypes.IsDefined(core))
            throw Invalid($"{field} {(int)dtype} is not a known dtype (u8, i8, i16, i32, i64, f16, bf16, f32, f64, bool)");
        return core;
    }

    private static SelectorKind ToCore(Wire.Selector selector, string field) => selector switch
    {
        Wire.Selector.Uniform => SelectorKind.Uniform,
        Wire.Selector.Prioritized => SelectorKind.Prioritized,
        Wire.Selector.TopK => SelectorKind.TopK,
        Wire.Selector.Fifo => SelectorKind.Fifo,
        Wire.Selector.Lifo => SelectorKind.Lifo,
        Wire.Selector.MinHeap => SelectorKind.MinHeap,
        Wire.Selector.MaxHeap => SelectorKind.MaxHeap,
        Wire.Selector.UniformWithoutReplacement => SelectorKind.UniformWithoutReplacement,
        _ => throw Invalid($"{field} {(int)selector} is not a known selector"),
    };

    private static Wire.Selector ToWire(SelectorKind selector) => selector switch
    {
        SelectorKind.Uniform => Wire.Selector.Uniform,
        SelectorKind.Prioritized => Wire.Selector.Prioritized,
        SelectorKind.TopK => Wire.Selector.TopK,
        SelectorKind.Fifo => Wire.Selector.Fifo,
        SelectorKind.Lifo => Wire.Selector.Lifo,
        SelectorKind.MinHeap => Wire.Selector.MinHeap,
        SelectorKind.MaxHeap => Wire.Selector.MaxHeap,
        SelectorKind.UniformWithoutReplacement => Wire.Selector.UniformWithoutReplacement,
        _ => throw new ArgumentOutOfRangeException(nameof(selector), selector, "unknown selector"),
    };

    private static RateLimiterSpec ToCore(Wire.RateLimiterSpec? limiter) => limiter?.KindCase switch
    {
        null or Wire.RateLimiterSpec.KindOneofCase.None => RateLimiterSpec.MinSize(1),
        Wire.RateLimiterSpec.KindOneofCase.MinSize => RateLimiterSpec.MinSize(limiter.MinSize.MinSizeToSample),
        Wire.RateLimiterSpec.KindOneofCase.SampleToInsertRatio => RateLimiterSpec.SampleToInsertRatio(
            limiter.SampleToInsertRatio.SamplesPerInsert, limiter.SampleToInsertRatio.MinSizeToSample, limiter.SampleToInsertRatio.ErrorBuffer),
        Wire.RateLimiterSpec.KindOneofCase.Queue => RateLimiterSpec.Queue(limiter.Queue.Size),
        Wire.RateLimiterSpec.KindOneofCase.Stack => RateLimiterSpec.Stack(limiter.Stack.Size),
        Wire.RateLimiterSpec.KindOneofCase.Explicit => new RateLimiterSpec(
            limiter.Explicit.SamplesPerInsert, limiter.Explicit.MinSizeToSample, limiter.Explicit.MinDiff, limiter.Explicit.MaxDiff).Validate(),
        _ => throw Invalid($"rate_limiter kind {limiter.KindCase} is not known"),
    };

    private static GearException Invalid(string message) => new(GearErrorCode.InvalidArgument, message);
}
