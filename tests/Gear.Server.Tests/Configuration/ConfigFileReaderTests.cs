using Gear.Server.Configuration;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class ConfigFileReaderTests
{
    private const string FullConfig = """
        // a comment, as people write in config files
        {
          "listen": { "grpc": "0.0.0.0:6000", "admin": "127.0.0.1:6001", "dataPlane": "127.0.0.1:6002" },
          "device": "cpu",
          "gatherThreads": 2,
          "logLevel": "debug",
          "limits": {
            "maxReceiveMessageBytes": 1048576,
            "maxSendMessageBytes": 2097152,
            "maxConcurrentStreamsPerConnection": 7,
            "maxConnections": 50,
          },
          "shutdownDrainSeconds": 1.5,
          "tokens": { "s3cret-a": "admin", "s3cret-b": "actor" },
          "tables": [
            {
              "name": "t1",
              "columns": [ { "name": "obs", "dtype": "DTYPE_U8", "shape": [4, 84, 84] } ],
              "host_capacity_bytes": "1048576",   /* original proto field names work too */
              "maxTrajectories": 10,
              "sampler": "SELECTOR_PRIORITIZED",
              "priorityExponent": 0.6,
              "rateLimiter": { "sampleToInsertRatio": { "samplesPerInsert": 4, "minSizeToSample": 100, "errorBuffer": 10 } }
            }
          ]
        }
        """;

    [TestMethod]
    public void ReadsEveryField()
    {
        var settings = ConfigFileReader.Read(FullConfig, "test", "/base");

        Assert.AreEqual(new Sourced<string>("0.0.0.0:6000", "listen.grpc"), settings.Grpc);
        Assert.AreEqual(new Sourced<string>("127.0.0.1:6001", "listen.admin"), settings.Admin);
        Assert.AreEqual(new Sourced<string>("127.0.0.1:6002", "listen.dataPlane"), settings.DataPlane);
        Assert.AreEqual("cpu", settings.Device?.Value);
        Assert.AreEqual(new Sourced<long>(2, "gatherThreads"), settings.GatherThreads);
        Assert.AreEqual("debug", settings.LogLevel?.Value);
        Assert.AreEqual(1048576, settings.MaxReceiveMessageBytes?.Value);
        Assert.AreEqual(2097152, settings.MaxSendMessageBytes?.Value);
        Assert.AreEqual(7, settings.MaxConcurrentStreamsPerConnection?.Value);
        Assert.AreEqual(new Sourced<long>(50, "limits.maxConnections"), settings.MaxConnections);
        Assert.AreEqual(1.5, settings.ShutdownDrainSeconds?.Value);
        CollectionAssert.AreEqual(new[] { ("s3cret-a", "admin"), ("s3cret-b", "actor") },
            settings.Tokens.Select(t => (t.Token, t.RoleText)).ToArray());
        Assert.AreEqual("tokens (entry 2)", settings.Tokens[1].Field);

        var (spec, field) = settings.Tables.Single();
        Assert.AreEqual("tables[0]", field);
        Assert.AreEqual("t1", spec.Name);
        Assert.AreEqual(Wire.DType.U8, spec.Columns[0].Dtype);
        CollectionAssert.AreEqual(new[] { 4, 84, 84 }, spec.Columns[0].Shape.ToArray());
        Assert.AreEqual(1048576L, spec.HostCapacityBytes);
        Assert.AreEqual(Wire.Selector.Prioritized, spec.Sampler);
        Assert.AreEqual(0.6, spec.PriorityExponent);
        Assert.AreEqual(4.0, spec.RateLimiter.SampleToInsertRatio.SamplesPerInsert);
        Assert.AreEqual(100L, spec.RateLimiter.SampleToInsertRatio.MinSizeToSample);
    }

    [TestMethod]
    public void EmptyObjectLeavesEverythingToDefaults()
    {
        var settings = ConfigFileReader.Read("{}", "test", "/base");
        Assert.IsNull(settings.Grpc);
        Assert.IsNull(settings.MaxConnections);
        Assert.AreEqual(0, settings.Tables.Count);
        Assert.AreEqual(0, settings.Tokens.Count);
        Assert.IsFalse(settings.Tls.IsConfigured);
    }

    [TestMethod]
    public void NullMaxConnectionsMeansNoLimit() =>
        Assert.IsNull(ConfigFileReader.Read("""{ "limits": { "maxConnections": null } }""", "test", "/").MaxConnections);

    [TestMethod]
    [DataRow("""{ "grpcc": "x" }""", "grpcc", "unknown field")]
    [DataRow("""{ "listen": { "grpc": 50051 } }""", "listen.grpc", "expected a string, got a number")]
    [DataRow("""{ "listen": { "rpc": "x" } }""", "listen.rpc", "unknown field")]
    [DataRow("""{ "listen": "127.0.0.1:1" }""", "listen", "expected an object")]
    [DataRow("""{ "limits": { "maxConnections": "10" } }""", "limits.maxConnections", "expected a whole number")]
    [DataRow("""{ "limits": { "maxReceiveMessageBytes": 1.5 } }""", "limits.maxReceiveMessageBytes", "got 1.5")]
    [DataRow("""{ "limits": { "maxStreams": 1 } }""", "limits.maxStreams", "unknown field")]
    [DataRow("""{ "shutdownDrainSeconds": "5" }""", "shutdownDrainSeconds", "expected a number")]
    [DataRow("""{ "tokens": ["a"] }""", "tokens", "expected an object")]
    [DataRow("""{ "tokens": { "a": "admin", "b": 3 } }""", "tokens (entry 2)", "expected a string")]
    [DataRow("""{ "tls": { "cert": "x" } }""", "tls.cert", "unknown field")]
    [DataRow("""{ "tls": { "certificate": "" } }""", "tls.certificate", "empty")]
    [DataRow("""{ "tables": {} }""", "tables", "expected an array")]
    [DataRow("""{ "tables": [ {}, 3 ] }""", "tables[1]", "expected a gear.v1.TableSpec object")]
    [DataRow("""{ "tables": [ { "name": "a", "colums": [] } ] }""", "tables[0]", "colums")]
    [DataRow("""{ "tables": [ { "name": "a" }, { "sampler": "SELECTOR_BEST" } ] }""", "tables[1]", "SELECTOR_BEST")]
    [DataRow("""{ "tables": [ { "maxTrajectories": "many" } ] }""", "tables[0]", "not a valid gear.v1.TableSpec")]
    [DataRow("""[]""", "config file 'x.json'", "expected a JSON object")]
    [DataRow("""{ "device": "cpu" """, "config file 'x.json'", "not valid JSON (line 1")]
    public void ErrorsNameTheField(string json, string field, string problem) =>
        ConfigAssert.FailsAt(field, () => ConfigFileReader.Read(json, "config file 'x.json'", "/base"), problem);

    [TestMethod]
    public void FileErrorsNameTheFlag()
    {
        using var directory = new TempDirectory();
        ConfigAssert.FailsAt("--config", () => ConfigFileReader.ReadFile(Path.Combine(directory.Path, "missing.json"), "--config"),
            "cannot read config file");
    }

    [TestMethod]
    public void PathsInTheFileAreRelativeToTheFile()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "certs"));
        directory.Write("tokens.txt", "tok-from-file=learner\n");
        var file = directory.Write("gear.json", """
            { "tls": { "certificate": "certs/server.pem", "key": "/abs/key.pem" }, "tokenFile": "tokens.txt" }
            """);

        var settings = ConfigFileReader.ReadFile(file, "--config");

        Assert.AreEqual(Path.Combine(directory.Path, "certs", "server.pem"), settings.Tls.Certificate?.Value);
        Assert.AreEqual("/abs/key.pem", settings.Tls.Key?.Value);
        Assert.AreEqual(("tok-from-file", "learner"), (settings.Tokens.Single().Token, settings.Tokens.Single().RoleText));
    }
}
