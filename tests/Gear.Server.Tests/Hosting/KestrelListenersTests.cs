using Gear.Server.Configuration;
using Gear.Server.Grpc;
using Gear.Server.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gear.Server.Tests.Hosting;

[TestClass]
public sealed class KestrelListenersTests
{
    private static ServerConfig Config(string json) =>
        ServerConfigValidator.Validate(ConfigFileReader.Read(json, "test", "/"));

    [TestMethod]
    public void ConfiguredLimitsOverrideTheGrpcLayersDefaults()
    {
        var options = new KestrelServerOptions();
        new KestrelListeners(Config("""{ "limits": { "maxConcurrentStreamsPerConnection": 7, "maxConnections": 33 } }""")).Configure(options);

        Assert.AreEqual(7, options.Limits.Http2.MaxStreamsPerConnection);
        Assert.AreEqual(33L, options.Limits.MaxConcurrentConnections);
        Assert.IsFalse(options.AddServerHeader);
    }

    [TestMethod]
    public void HostileClientLimitsAreSetWithTheConfiguredHeaderTimeout()
    {
        var configured = new KestrelServerOptions();
        new KestrelListeners(Config("""{ "limits": { "requestHeadersTimeoutSeconds": 3.5 } }""")).Configure(configured);
        var unset = new KestrelServerOptions();
        new KestrelListeners(Config("{}")).Configure(unset);

        Assert.AreEqual(TimeSpan.FromSeconds(3.5), configured.Limits.RequestHeadersTimeout);
        Assert.AreEqual(TimeSpan.FromSeconds(ServerLimits.DefaultRequestHeadersTimeoutSeconds), unset.Limits.RequestHeadersTimeout);
        Assert.AreEqual(ServerLimits.MaxRequestHeadersTotalBytes, unset.Limits.MaxRequestHeadersTotalSize);
        Assert.AreEqual(ServerLimits.MaxRequestHeaderCount, unset.Limits.MaxRequestHeaderCount);
        Assert.ThrowsException<ConfigException>(() => Config("""{ "limits": { "requestHeadersTimeoutSeconds": 0.2 } }"""));
    }

    [TestMethod]
    public void UnsetLimitsKeepTheGrpcLayersDefaults()
    {
        var grpcOnly = new KestrelServerOptions();
        GrpcKestrel.ConfigureLimits(grpcOnly);
        var options = new KestrelServerOptions();
        new KestrelListeners(Config("{}")).Configure(options);

        Assert.AreEqual(grpcOnly.Limits.Http2.MaxStreamsPerConnection, options.Limits.Http2.MaxStreamsPerConnection);
        Assert.IsNull(options.Limits.MaxConcurrentConnections);
    }

    [TestMethod]
    public void ListensOnTheConfiguredEndpointsWithTheRightScheme()
    {
        var listeners = new KestrelListeners(Config("""{ "listen": { "grpc": "127.0.0.1:7001", "admin": "[::1]:7002" } }"""));
        listeners.Configure(new KestrelServerOptions());

        Assert.AreEqual("127.0.0.1:7001", listeners.GrpcEndPoint.ToString());
        Assert.AreEqual("[::1]:7002", listeners.AdminEndPoint.ToString());
        Assert.AreEqual("http", listeners.Scheme);
    }
}
