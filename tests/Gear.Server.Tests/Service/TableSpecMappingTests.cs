using Gear.Core.Errors;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Server.Service;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Tests.Service;

[TestClass]
public sealed class TableSpecMappingTests
{
    internal static Wire.TableSpec MinimalSpec(string name = "t") => new()
    {
        Name = name,
        Columns =
        {
            new Wire.ColumnSpec { Name = "obs", Dtype = Wire.DType.F32, Shape = { 3 } },
            new Wire.ColumnSpec { Name = "done", Dtype = Wire.DType.Bool },
        },
        HostCapacityBytes = 1 << 20,
        MaxTrajectories = 64,
        Sampler = Wire.Selector.Uniform,
    };

    [TestMethod]
    public void UnsetFieldsGetTheDocumentedDefaults()
    {
        var core = TableSpecMapping.ToCore(MinimalSpec());

        Assert.AreEqual(TableSpec.DefaultPageSteps, core.PageSteps);
        Assert.AreEqual(SelectorKind.Fifo, core.Remover);
        Assert.AreEqual(1.0, core.PriorityExponent);
        Assert.AreEqual(ItemGranularity.Trajectory, core.Granularity);
        Assert.AreEqual(1, core.RateLimiter.MinSizeToSample);
        Assert.AreEqual(DType.F32, core.Columns[0].DType);
        Assert.AreEqual(12, core.Columns[0].StepBytes);
        Assert.AreEqual(1, core.Columns[1].StepBytes);
    }

    [TestMethod]
    public void EveryDTypeKeepsItsMeaningBothWays()
    {
        foreach (var dtype in Enum.GetValues<Wire.DType>().Where(d => d != Wire.DType.Unspecified))
        {
            var spec = MinimalSpec();
            spec.Columns[0].Dtype = dtype;
            var core = TableSpecMapping.ToCore(spec);
            Assert.AreEqual(dtype, TableSpecMapping.ToWire(core).Columns[0].Dtype);
            Assert.AreEqual(dtype.ToString().ToLowerInvariant(), core.Columns[0].DType.Name());
        }
    }

    [TestMethod]
    public void RateLimiterPresetsMapToReverbParameters()
    {
        var spec = MinimalSpec();
        spec.RateLimiter = new Wire.RateLimiterSpec { Queue = new() { Size = 10 } };
        var queue = TableSpecMapping.ToCore(spec).RateLimiter;
        Assert.AreEqual(1.0, queue.SamplesPerInsert);
        Assert.AreEqual(10.0, queue.MaxDiff);

        spec.RateLimiter = new Wire.RateLimiterSpec { SampleToInsertRatio = new() { SamplesPerInsert = 4, MinSizeToSample = 100, ErrorBuffer = 40 } };
        var ratio = TableSpecMapping.ToCore(spec).RateLimiter;
        Assert.AreEqual(4.0, ratio.SamplesPerInsert);
        Assert.AreEqual(100, ratio.MinSizeToSample);
    }

    [TestMethod]
    public void MissingOrUnknownFieldsAreRefusedByName()
    {
        AssertRefused(s => s.Sampler = Wire.Selector.Unspecified, "sampler");
        AssertRefused(s => s.Columns[1].Dtype = Wire.DType.Unspecified, "columns[1].dtype");
        AssertRefused(s => s.Columns[0].Dtype = (Wire.DType)99, "columns[0].dtype");
        AssertRefused(s => s.Remover = (Wire.Selector)42, "remover");
        AssertRefused(s => s.Granularity = (Wire.ItemGranularity)7, "granularity");
        AssertRefused(s => s.RateLimiter = new Wire.RateLimiterSpec { Explicit = new() { SamplesPerInsert = double.NaN } }, "samples_per_insert");
    }

    private static void AssertRefused(Action<Wire.TableSpec> spoil, string field)
    {
        var spec = MinimalSpec();
        spoil(spec);
        var error = Assert.ThrowsException<GearException>(() => TableSpecMapping.ToCore(spec));
        Assert.AreEqual(GearErrorCode.InvalidArgument, error.Code);
        StringAssert.Contains(error.Message, field);
    }
}
