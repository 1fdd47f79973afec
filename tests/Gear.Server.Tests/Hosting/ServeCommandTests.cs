using Gear.Server.Configuration;
using Gear.Server.Hosting;
using Gear.Server.Security;
using Gear.Server.Tests.Configuration;

namespace Gear.Server.Tests.Hosting;

[TestClass]
public sealed class ServeCommandTests
{
    private static ServerSettings Gather(string[] args, Dictionary<string, string>? environment = null)
    {
        var parse = ServeCommand.Create().Parse(args);
        Assert.AreEqual(0, parse.Errors.Count, string.Join("; ", parse.Errors.Select(e => e.Message)));
        return ServeCommand.Gather(parse, name => environment?.GetValueOrDefault(name));
    }

    [TestMethod]
    public void NoArgumentsUseTheEmbeddedDefault()
    {
        var config = ServerConfigValidator.Validate(Gather([]));
        Assert.AreEqual(ServerDefaults.Grpc, config.Grpc.ToString());
        CollectionAssert.AreEqual(new[] { "replay", "prioritized" }, config.Tables.Select(t => t.Name).ToArray());
    }

    [TestMethod]
    public void FlagsOverrideTheConfigFileAndAreNamedInErrors()
    {
        using var directory = new TempDirectory();
        var file = directory.Write("gear.json", """
            { "listen": { "grpc": "127.0.0.1:7000", "admin": "127.0.0.1:7001" }, "logLevel": "debug",
              "limits": { "maxConnections": 10 }, "tables": [ { "name": "only" } ] }
            """);

        var settings = Gather(["--config", file, "--grpc", "127.0.0.1:7100", "--max-connections", "20",
            "--max-receive-message-bytes", "2048", "--shutdown-drain-seconds", "2", "--device", "cpu", "--gather-threads", "3"]);
        var config = ServerConfigValidator.Validate(settings);

        Assert.AreEqual("127.0.0.1:7100", config.Grpc.ToString());
        Assert.AreEqual("127.0.0.1:7001", config.Admin.ToString());
        Assert.AreEqual(20, config.Limits.MaxConnections);
        Assert.AreEqual(2048, config.Limits.MaxReceiveMessageBytes);
        Assert.AreEqual(TimeSpan.FromSeconds(2), config.ShutdownDrain);
        Assert.AreEqual(DeviceKind.Cpu, config.Device.Kind);
        Assert.AreEqual(3, config.GatherThreads);
        Assert.AreEqual(Microsoft.Extensions.Logging.LogLevel.Debug, config.LogLevel);
        // A config file replaces the embedded default entirely: only its own table.
        Assert.AreEqual("only", config.Tables.Single().Name);

        ConfigAssert.FailsAt("--admin", () => ServerConfigValidator.Validate(Gather(["--config", file, "--admin", "127.0.0.1:7000"])),
            "same port as listen.grpc");
    }

    [TestMethod]
    public void UnsetNumericFlagsDoNotOverrideTheConfig()
    {
        using var directory = new TempDirectory();
        var file = directory.Write("gear.json", """{ "limits": { "maxConcurrentStreamsPerConnection": 9 }, "shutdownDrainSeconds": 3 }""");
        var config = ServerConfigValidator.Validate(Gather(["--config", file]));
        Assert.AreEqual(9, config.Limits.MaxConcurrentStreamsPerConnection);
        Assert.AreEqual(TimeSpan.FromSeconds(3), config.ShutdownDrain);
    }

    [TestMethod]
    public void TokensComeFromConfigEnvironmentAndTokenFile()
    {
        using var directory = new TempDirectory();
        var config = directory.Write("gear.json", """{ "tokens": { "from-config": "admin" } }""");
        var tokenFile = directory.Write("tokens", "from-file=learner\n");

        var tokens = ServerConfigValidator.Validate(Gather(["--config", config, "--token-file", tokenFile],
            new() { ["GEAR_TOKENS"] = "from-env=actor,other-env=admin" })).Tokens;

        Assert.AreEqual(4, tokens.Count);
        Assert.AreEqual(Role.Admin, tokens["from-config"]);
        Assert.AreEqual(Role.Actor, tokens["from-env"]);
        Assert.AreEqual(Role.Admin, tokens["other-env"]);
        Assert.AreEqual(Role.Learner, tokens["from-file"]);
    }

    [TestMethod]
    public void EnvironmentTokensAllowANonLoopbackListener()
    {
        var arguments = new[] { "--grpc", "0.0.0.0:7200" };
        ConfigAssert.FailsAt("--grpc", () => ServerConfigValidator.Validate(Gather(arguments)), "no token is configured");
        var config = ServerConfigValidator.Validate(Gather(arguments, new() { ["GEAR_TOKENS"] = "t=admin" }));
        Assert.IsTrue(config.Grpc.IsAnyAddress);
    }

    [TestMethod]
    public void TlsFlagsReplaceTheConfiguredForm()
    {
        using var directory = new TempDirectory();
        var (certificate, key) = TestCertificates.WritePem(directory);
        var file = directory.Write("gear.json", """{ "tls": { "pfx": "missing.pfx" } }""");

        // With the config's PFX alone the missing file is the error; PEM flags replace it.
        ConfigAssert.FailsAt("tls.pfx", () => ServerConfigValidator.Validate(Gather(["--config", file])), "does not exist");
        var config = ServerConfigValidator.Validate(Gather(["--config", file, "--tls-cert", certificate, "--tls-key", key]));
        Assert.IsNotNull(config.TlsCertificate);
    }

    [TestMethod]
    public void PfxPasswordComesFromTheEnvironment()
    {
        using var directory = new TempDirectory();
        var pfx = TestCertificates.WritePfx(directory, "s3cret");
        ConfigAssert.FailsAt("--tls-pfx", () => ServerConfigValidator.Validate(Gather(["--tls-pfx", pfx])), "wrong password?");
        var config = ServerConfigValidator.Validate(Gather(["--tls-pfx", pfx], new() { [ServeCommand.PfxPasswordVariable] = "s3cret" }));
        Assert.IsNotNull(config.TlsCertificate);
    }
}
