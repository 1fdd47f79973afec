using Gear.Core.Compute.Cpu;
using Gear.Server.Configuration;
using Gear.Server.Service;
using Microsoft.Extensions.Logging.Abstractions;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class DefaultConfigTests
{
    [TestMethod]
    public void IsValidLoopbackOnlyAndTokenFree()
    {
        var config = ServerConfigValidator.Validate(DefaultConfig.Read());

        Assert.AreEqual(ServerDefaults.Grpc, config.Grpc.ToString());
        Assert.AreEqual(ServerDefaults.Admin, config.Admin.ToString());
        Assert.AreEqual(ServerDefaults.DataPlane, config.DataPlane.ToString());
        Assert.IsTrue(config.Grpc.IsLoopback && config.Admin.IsLoopback && config.DataPlane.IsLoopback);
        Assert.AreEqual(0, config.Tokens.Count);
        Assert.AreEqual(ServerLimits.Default, config.Limits);
    }

    [TestMethod]
    public void ServesAUniformAndAPrioritizedTableOfModestSize()
    {
        var tables = ServerConfigValidator.Validate(DefaultConfig.Read()).Tables;

        CollectionAssert.AreEqual(new[] { "replay", "prioritized" }, tables.Select(t => t.Name).ToArray());
        Assert.AreEqual(Wire.Selector.Uniform, tables[0].Sampler);
        Assert.AreEqual(Wire.Selector.Prioritized, tables[1].Sampler);
        Assert.AreEqual(Wire.ItemGranularity.Step, tables[1].Granularity);
        foreach (var table in tables)
            Assert.AreEqual(64L << 20, table.HostCapacityBytes, table.Name);
    }

    [TestMethod]
    public void ItsTablesCanBeCreated()
    {
        // The embedded specs go through the same registry as at start: a spec the registry refuses would make
        // the bare `gear serve` fail.
        using var backend = new CpuBackend();
        using var registry = new TableRegistry(backend, NullLogger<TableRegistry>.Instance);
        foreach (var spec in ServerConfigValidator.Validate(DefaultConfig.Read()).Tables)
            Assert.AreEqual(spec.Name, registry.Create(spec).Name);
        Assert.AreEqual(2, registry.Tables.Count);
    }

    [TestMethod]
    public void EmbeddedTextIsTheJsonThatPrintDefaultConfigShows()
    {
        StringAssert.Contains(DefaultConfig.Json, "\"tables\"");
        StringAssert.Contains(DefaultConfig.Json, "\"listen\"");
    }
}
