using Gear.Server.Configuration;
using Gear.Server.WriteAheadLog;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class WriteAheadLogConfigTests
{
    private const string LoggedTable = """
        { "name": "t", "columns": [ { "name": "x", "dtype": "DTYPE_F32" } ], "hostCapacityBytes": "65536",
          "maxTrajectories": 8, "sampler": "SELECTOR_UNIFORM", "writeAheadLog": true }
        """;

    private static ServerConfig Validate(string json) => ServerConfigValidator.Validate(ConfigFileReader.Read(json, "test", "/etc/gear"));

    [TestMethod]
    public void AbsentMeansNoLogs() => Assert.IsNull(Validate("{}").WriteAheadLog);

    [TestMethod]
    public void DirectoryIsRelativeToTheConfigAndDefaultsFillIn()
    {
        Assert.AreEqual(new WriteAheadLogSettings("/etc/gear/wal", FsyncPolicy.Commit, WriteAheadLogSettings.DefaultFsyncInterval),
            Validate("""{ "writeAheadLog": { "directory": "wal" } }""").WriteAheadLog);
        Assert.AreEqual(new WriteAheadLogSettings("/data/wal", FsyncPolicy.Interval, TimeSpan.FromMilliseconds(250)),
            Validate("""{ "writeAheadLog": { "directory": "/data/wal", "fsync": "interval", "fsyncIntervalMs": 250 } }""").WriteAheadLog);
        Assert.AreEqual(FsyncPolicy.None, Validate("""{ "writeAheadLog": { "directory": "w", "fsync": "NONE" } }""").WriteAheadLog!.Fsync);
    }

    [TestMethod]
    public void ALoggedTableIsReadFromTheConfig()
    {
        var config = Validate($$"""{ "writeAheadLog": { "directory": "wal" }, "tables": [ {{LoggedTable}} ] }""");
        Assert.IsTrue(config.Tables.Single().WriteAheadLog);
    }

    [TestMethod]
    public void BadValuesNameTheirField()
    {
        ConfigAssert.FailsAt("writeAheadLog.fsync", () => Validate("""{ "writeAheadLog": { "directory": "w", "fsync": "sometimes" } }"""), "commit, interval or none");
        ConfigAssert.FailsAt("writeAheadLog.fsyncIntervalMs", () => Validate("""{ "writeAheadLog": { "directory": "w", "fsyncIntervalMs": 0 } }"""));
        ConfigAssert.FailsAt("writeAheadLog.fsync", () => Validate("""{ "writeAheadLog": { "fsync": "commit" } }"""), "directory");
        ConfigAssert.FailsAt("writeAheadLog.directory", () => Validate("""{ "writeAheadLog": { "directory": "" } }"""));
        ConfigAssert.FailsAt("writeAheadLog.segmentBytes", () => Validate("""{ "writeAheadLog": { "segmentBytes": 1 } }"""));
        ConfigAssert.FailsAt("tables[0]", () => Validate($$"""{ "tables": [ {{LoggedTable}} ] }"""), "writeAheadLog.directory");
    }
}
