using System.Net;
using Gear.Server.Configuration;
using Gear.Server.Security;
using Microsoft.Extensions.Logging;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class ServerConfigValidatorTests
{
    private static ServerSettings Read(string json) => ConfigFileReader.Read(json, "test", "/");

    [TestMethod]
    public void EmptySettingsGiveLoopbackDefaults()
    {
        var config = ServerConfigValidator.Validate(new ServerSettings());

        Assert.AreEqual(new ListenAddress(IPAddress.Loopback, 50051), config.Grpc);
        Assert.AreEqual(new ListenAddress(IPAddress.Loopback, 8080), config.Admin);
        Assert.AreEqual(new ListenAddress(IPAddress.Loopback, 50052), config.DataPlane);
        Assert.AreEqual(new DeviceSetting(DeviceKind.Auto), config.Device);
        Assert.AreEqual(1, config.GatherThreads);
        Assert.AreEqual(LogLevel.Information, config.LogLevel);
        Assert.AreEqual(ServerLimits.Default, config.Limits);
        Assert.IsNull(config.Limits.MaxConnections);
        Assert.AreEqual(TimeSpan.FromSeconds(5), config.ShutdownDrain);
        Assert.AreEqual(0, config.Tokens.Count);
        Assert.AreEqual(0, config.Tables.Count);
        Assert.IsNull(config.TlsCertificate);
    }

    [TestMethod]
    public void CarriesConfiguredValues()
    {
        var config = ServerConfigValidator.Validate(Read("""
            {
              "listen": { "grpc": "0.0.0.0:7000", "admin": "127.0.0.1:0", "dataPlane": "[::1]:7002" },
              "device": "CPU", "gatherThreads": 4, "logLevel": "warn", "shutdownDrainSeconds": 0.25,
              "limits": { "maxReceiveMessageBytes": 4096, "maxSendMessageBytes": 8192, "maxConcurrentStreamsPerConnection": 3, "maxConnections": 9 },
              "tokens": { "a-token": "Admin", "b-token": "learner" },
              "tables": [ { "name": "x" }, { "name": "y" } ]
            }
            """));

        Assert.AreEqual(new ListenAddress(IPAddress.Any, 7000), config.Grpc);
        Assert.AreEqual(0, config.Admin.Port);
        Assert.AreEqual(IPAddress.IPv6Loopback, config.DataPlane.Address);
        Assert.AreEqual(DeviceKind.Cpu, config.Device.Kind);
        Assert.AreEqual(4, config.GatherThreads);
        Assert.AreEqual(LogLevel.Warning, config.LogLevel);
        Assert.AreEqual(TimeSpan.FromMilliseconds(250), config.ShutdownDrain);
        Assert.AreEqual(new ServerLimits(4096, 8192, 3, 9), config.Limits);
        Assert.AreEqual(Role.Admin, config.Tokens["a-token"]);
        Assert.AreEqual(Role.Learner, config.Tokens["b-token"]);
        CollectionAssert.AreEqual(new[] { "x", "y" }, config.Tables.Select(t => t.Name).ToArray());
    }

    [TestMethod]
    public void NonLoopbackListenerWithoutTokensIsRefused()
    {
        ConfigAssert.FailsAt("listen.grpc", () => ServerConfigValidator.Validate(Read("""{ "listen": { "grpc": "0.0.0.0:1" } }""")),
            "loopback-only default when no token is configured");
        ConfigAssert.FailsAt("listen.admin", () => ServerConfigValidator.Validate(Read("""{ "listen": { "admin": "10.0.0.1:1" } }""")),
            "not a loopback address");
        ConfigAssert.FailsAt("listen.dataPlane", () => ServerConfigValidator.Validate(Read("""{ "listen": { "dataPlane": "[::]:1" } }""")));
    }

    [TestMethod]
    public void NonLoopbackListenerWithTokensIsAllowed()
    {
        var settings = Read("""{ "listen": { "grpc": "0.0.0.0:1" } }""");
        settings.Tokens.Add(new TokenEntry("t", "actor", "GEAR_TOKENS (entry 1)"));
        Assert.IsFalse(ServerConfigValidator.Validate(settings).Grpc.IsLoopback);
    }

    [TestMethod]
    [DataRow("""{ "listen": { "grpc": "nowhere" } }""", "listen.grpc", "no port")]
    [DataRow("""{ "listen": { "admin": "127.0.0.1:50051" } }""", "listen.admin", "same port as listen.grpc")]
    [DataRow("""{ "listen": { "dataPlane": "127.0.0.1:8080" } }""", "listen.dataPlane", "same port as listen.admin")]
    [DataRow("""{ "device": "gpu" }""", "device", "use auto, cpu or cuda:N")]
    [DataRow("""{ "logLevel": "loud" }""", "logLevel", "unknown log level 'loud'")]
    [DataRow("""{ "limits": { "maxReceiveMessageBytes": 100 } }""", "limits.maxReceiveMessageBytes", "out of range")]
    [DataRow("""{ "limits": { "maxSendMessageBytes": 4294967296 } }""", "limits.maxSendMessageBytes", "out of range")]
    [DataRow("""{ "limits": { "maxConcurrentStreamsPerConnection": 0 } }""", "limits.maxConcurrentStreamsPerConnection", "out of range")]
    [DataRow("""{ "limits": { "maxConnections": -1 } }""", "limits.maxConnections", "out of range")]
    [DataRow("""{ "gatherThreads": 0 }""", "gatherThreads", "out of range; it must be from 1 to 256")]
    [DataRow("""{ "gatherThreads": 257 }""", "gatherThreads", "out of range")]
    [DataRow("""{ "gatherThreads": 1.5 }""", "gatherThreads", "expected a whole number")]
    [DataRow("""{ "shutdownDrainSeconds": -1 }""", "shutdownDrainSeconds", "out of range")]
    [DataRow("""{ "shutdownDrainSeconds": 301 }""", "shutdownDrainSeconds", "out of range")]
    [DataRow("""{ "tables": [ { "name": "a" }, { "name": "" } ] }""", "tables[1].name", "needs a name")]
    [DataRow("""{ "tables": [ { "name": "a" }, { "name": "b" }, { "name": "a" } ] }""", "tables[2].name", "already the name of tables[0]")]
    [DataRow("""{ "tokens": { "good": "admin", "t": "root" } }""", "tokens (entry 2)", "unknown role 'root'")]
    [DataRow("""{ "tokens": { "has space": "admin" } }""", "tokens (entry 1)", "visible ASCII")]
    [DataRow("""{ "tokens": { "": "admin" } }""", "tokens (entry 1)", "the token is empty")]
    [DataRow("""{ "tls": { "key": "/k.pem" } }""", "tls.key", "without a certificate")]
    [DataRow("""{ "tls": { "certificate": "/c.pem" } }""", "tls.certificate", "needs its private key")]
    [DataRow("""{ "tls": { "certificate": "/no/such/cert.pem", "key": "/no/such/key.pem" } }""", "tls.certificate", "does not exist")]
    [DataRow("""{ "tls": { "pfx": "/no/such.pfx" } }""", "tls.pfx", "does not exist")]
    [DataRow("""{ "tls": { "pfx": "/a.pfx", "certificate": "/c.pem", "key": "/k.pem" } }""", "tls.certificate", "not both")]
    public void EveryErrorNamesItsField(string json, string field, string problem) =>
        ConfigAssert.FailsAt(field, () => ServerConfigValidator.Validate(Read(json)), problem);

    [TestMethod]
    public void FlagValuesAreNamedByTheFlag()
    {
        var settings = new ServerSettings { Grpc = new("127.0.0.1:x", "--grpc"), Device = new("cuda:3", "--device") };
        ConfigAssert.FailsAt("--grpc", () => ServerConfigValidator.Validate(settings), "port 'x'");
        settings.Grpc = new("127.0.0.1:1", "--grpc");
        settings.Device = new("gpu:3", "--device");
        ConfigAssert.FailsAt("--device", () => ServerConfigValidator.Validate(settings), "'gpu:3' is not a device");
    }

    [TestMethod]
    public void TokensFromSeveralSourcesMergeAndConflictsAreNamedWithoutTheToken()
    {
        var settings = Read("""{ "tokens": { "shared-secret": "actor" } }""");
        settings.Tokens.AddRange(TokenSources.ParseList("shared-secret=actor,other=learner"));
        var config = ServerConfigValidator.Validate(settings);
        Assert.AreEqual(2, config.Tokens.Count);

        settings.Tokens.AddRange(TokenSources.ParseList("x=admin,shared-secret=admin"));
        var error = ConfigAssert.FailsAt("GEAR_TOKENS (entry 2)", () => ServerConfigValidator.Validate(settings),
            "already has role actor from tokens (entry 1)");
        Assert.IsFalse(error.Message.Contains("shared-secret"), error.Message);
    }

    [TestMethod]
    public void UnknownRoleMessageDoesNotRevealTheToken()
    {
        var error = ConfigAssert.FailsAt("GEAR_TOKENS (entry 1)",
            () => ServerConfigValidator.Validate(new ServerSettings { Tokens = { new("top-secret-42", "root", "GEAR_TOKENS (entry 1)") } }));
        Assert.IsFalse(error.Message.Contains("top-secret-42"), error.Message);
    }

    [TestMethod]
    public void LoadsAPemCertificateAndKey()
    {
        using var directory = new TempDirectory();
        var (certificate, key) = TestCertificates.WritePem(directory);
        var config = ServerConfigValidator.Validate(new ServerSettings
        {
            Tls = { Certificate = new(certificate, "--tls-cert"), Key = new(key, "--tls-key") },
        });
        Assert.IsNotNull(config.TlsCertificate);
        Assert.IsTrue(config.TlsCertificate.HasPrivateKey);
        Assert.AreEqual("CN=gear-test", config.TlsCertificate.Subject);
    }

    [TestMethod]
    public void LoadsAPfxWithItsPasswordAndNamesAWrongOne()
    {
        using var directory = new TempDirectory();
        var pfx = TestCertificates.WritePfx(directory, "pw");
        var settings = new ServerSettings { Tls = { Pfx = new(pfx, "tls.pfx"), PfxPassword = new("pw", "tls.pfxPassword") } };
        Assert.IsTrue(ServerConfigValidator.Validate(settings).TlsCertificate!.HasPrivateKey);

        settings.Tls.PfxPassword = new("wrong", "GEAR_TLS_PFX_PASSWORD");
        ConfigAssert.FailsAt("tls.pfx", () => ServerConfigValidator.Validate(settings), "wrong password?");
    }

    [TestMethod]
    public void AKeyThatIsNotPemIsNamed()
    {
        using var directory = new TempDirectory();
        var (certificate, _) = TestCertificates.WritePem(directory);
        var notKey = directory.Write("junk.pem", "not a key");
        ConfigAssert.FailsAt("--tls-cert", () => ServerConfigValidator.Validate(new ServerSettings
        {
            Tls = { Certificate = new(certificate, "--tls-cert"), Key = new(notKey, "--tls-key") },
        }), "cannot load certificate");
    }

    [TestMethod]
    public void TableSpecsPassThroughUnchanged()
    {
        var spec = new Wire.TableSpec { Name = "t", HostCapacityBytes = 123, MaxTrajectories = 4 };
        var settings = new ServerSettings { Tables = { new(spec, "tables[0]") } };
        Assert.AreSame(spec, ServerConfigValidator.Validate(settings).Tables.Single());
    }
}
