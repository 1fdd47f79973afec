using Gear.Core.Errors;
using Gear.Core.Schema;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Schema;

[TestClass]
public sealed class TableSpecTests
{
    [TestMethod]
    public void DTypeSizesAndNames()
    {
        var expected = new Dictionary<DType, int>
        {
            [DType.U8] = 1, [DType.I8] = 1, [DType.I16] = 2, [DType.I32] = 4, [DType.I64] = 8,
            [DType.F16] = 2, [DType.BF16] = 2, [DType.F32] = 4, [DType.F64] = 8, [DType.Bool] = 1,
        };
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), DTypes.All.ToArray());
        foreach (var (dtype, size) in expected)
        {
            Assert.AreEqual(size, dtype.SizeOf());
            Assert.IsTrue(DTypes.TryParse(dtype.Name().ToUpperInvariant(), out var parsed));
            Assert.AreEqual(dtype, parsed);
        }
        Assert.IsFalse(DTypes.TryParse("complex64", out _));
    }

    [TestMethod]
    public void ColumnStepBytesFollowShapeAndDType()
    {
        Assert.AreEqual(4 * 84 * 84, new ColumnSpec("obs", DType.U8, 4, 84, 84).StepBytes);
        Assert.AreEqual(4, new ColumnSpec("reward", DType.F32).StepBytes);
        Assert.AreEqual(17 * 8, new ColumnSpec("x", DType.F64, 17).StepBytes);
    }

    [TestMethod]
    public void ColumnValidationNamesTheProblem()
    {
        AssertInvalid(() => new ColumnSpec("", DType.F32), "name");
        AssertInvalid(() => new ColumnSpec("obs", DType.F32, 4, 0), "dimension 1 of size 0");
        AssertInvalid(() => new ColumnSpec("obs", DType.F32, -2), "dimension 0 of size -2");
        AssertInvalid(() => new ColumnSpec("obs", (DType)42), "unknown dtype 42");
        AssertInvalid(() => new ColumnSpec("huge", DType.F64, 1 << 20, 1 << 10), "exceeds");
    }

    [TestMethod]
    public void SpecValidationNamesTheField()
    {
        var ok = TestTable.Spec();
        Assert.AreEqual(64, ok.Validate().PageCount);

        AssertInvalid(() => Clone(ok, name: "").Validate(), "table name");
        AssertInvalid(() => Clone(ok, name: "bad name!").Validate(), "table name");
        AssertInvalid(() => Clone(ok, columns: []).Validate(), "columns must not be empty");
        AssertInvalid(() => Clone(ok, columns: [new ColumnSpec("a", DType.U8), new ColumnSpec("a", DType.F32)]).Validate(), "duplicate column name 'a'");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 10, MaxTrajectories = 4, PageSteps = 4 }.Validate(),
            "cannot hold one page");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 1 << 20, MaxTrajectories = 4, PageSteps = 3 }.Validate(),
            "page_steps 3");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = [new ColumnSpec("big", DType.U8, 1 << 20)], HostCapacityBytes = 1L << 40, MaxTrajectories = 4, PageSteps = 4096 }.Validate(),
            "a page of column 'big'");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 1 << 20, MaxTrajectories = 0 }.Validate(),
            "max_trajectories 0");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 1 << 20, MaxTrajectories = 4, MaxTimesSampled = -1 }.Validate(),
            "max_times_sampled");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 1 << 20, MaxTrajectories = 4, PriorityExponent = double.NaN }.Validate(),
            "priority_exponent");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 1 << 20, MaxTrajectories = 4, DeviceCapacityBytes = -1 }.Validate(),
            "device_capacity_bytes");
        AssertInvalid(() => new TableSpec { Name = "t", Columns = ok.Columns, HostCapacityBytes = 1 << 20, MaxTrajectories = 4, Sampler = (Gear.Core.Selection.SelectorKind)99 }.Validate(),
            "unknown sampler");
    }

    [TestMethod]
    public void StepItemSlotsCoverEveryStoredStep()
    {
        var spec = TestTable.Spec(pageSteps: 8, pages: 10, granularity: ItemGranularity.Step);
        var layout = spec.Validate();
        Assert.AreEqual(10, layout.PageCount);
        Assert.AreEqual(80, layout.ItemSlots);
        Assert.AreEqual(13, layout.StepBytes);
    }

    private static TableSpec Clone(TableSpec spec, string? name = null, IReadOnlyList<ColumnSpec>? columns = null) => new()
    {
        Name = name ?? spec.Name,
        Columns = columns ?? spec.Columns,
        HostCapacityBytes = spec.HostCapacityBytes,
        MaxTrajectories = spec.MaxTrajectories,
        PageSteps = spec.PageSteps,
    };

    internal static void AssertInvalid(Action action, string fragment)
    {
        var error = Assert.ThrowsException<GearException>(action);
        Assert.AreEqual(GearErrorCode.InvalidArgument, error.Code, error.Message);
        StringAssert.Contains(error.Message, fragment);
    }
}
