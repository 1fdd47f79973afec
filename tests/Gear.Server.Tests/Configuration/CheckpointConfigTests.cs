using Gear.Server.Configuration;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class CheckpointConfigTests
{
    private static ServerConfig Validate(string json) => ServerConfigValidator.Validate(ConfigFileReader.Read(json, "test", "/etc/gear"));

    [TestMethod]
    public void AbsentMeansNoCheckpoints() => Assert.IsNull(Validate("{}").Checkpoints);

    [TestMethod]
    public void DirectoryIsRelativeToTheConfigAndDefaultsFillIn()
    {
        var settings = Validate("""{ "checkpoints": { "directory": "ckpt" } }""").Checkpoints;
        Assert.AreEqual(new CheckpointSettings("/etc/gear/ckpt", TimeSpan.Zero, ServerDefaults.CheckpointKeep), settings);
        settings = Validate("""{ "checkpoints": { "directory": "/data/c", "intervalSeconds": 90, "keep": 7 } }""").Checkpoints;
        Assert.AreEqual(new CheckpointSettings("/data/c", TimeSpan.FromSeconds(90), 7), settings);
    }

    [TestMethod]
    public void BadValuesNameTheirField()
    {
        ConfigAssert.FailsAt("checkpoints.keep", () => Validate("""{ "checkpoints": { "directory": "c", "keep": 0 } }"""));
        ConfigAssert.FailsAt("checkpoints.intervalSeconds", () => Validate("""{ "checkpoints": { "directory": "c", "intervalSeconds": -1 } }"""));
        ConfigAssert.FailsAt("checkpoints.intervalSeconds", () => Validate("""{ "checkpoints": { "intervalSeconds": 10 } }"""), "directory");
        ConfigAssert.FailsAt("checkpoints.directory", () => Validate("""{ "checkpoints": { "directory": "" } }"""));
        ConfigAssert.FailsAt("checkpoints.every", () => Validate("""{ "checkpoints": { "every": 1 } }"""));
    }
}
