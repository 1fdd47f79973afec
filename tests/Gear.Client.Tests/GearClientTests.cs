using Gear.Protocol.Grpc;
using Gear.Tests.Shared;
using Gear.Protocol.V1;
using Gear.Server.Security;
using static Gear.Client.Tests.LoopbackServer;

namespace Gear.Client.Tests;

[TestClass]
public sealed class GearClientTests
{
    [TestMethod]
    public async Task TableManagementRoundTrips()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        var created = await client.CreateTableAsync(Spec("t", Selector.Prioritized, Column("obs", DType.F32, 3), Column("done", DType.Bool)));
        Assert.AreEqual("t", created.Spec.Name);

        var tables = await client.ListTablesAsync();
        Assert.AreEqual(1, tables.Count);
        var layout = await client.GetLayoutAsync("t");
        Assert.AreEqual(13, layout.StepBytes);
        Assert.AreEqual(12, layout["obs"].StepBytes);
        CollectionAssert.AreEqual(new[] { 3 }, layout["obs"].StepShape.ToArray());

        var info = await client.GetServerInfoAsync();
        Assert.AreEqual(1, info.Count);
        Assert.AreEqual("test", info[0].Version);

        await client.ResetAsync("t");
        await client.DropTableAsync("t");
        var missing = await Assert.ThrowsExceptionAsync<RpcException>(() => client.GetTableAsync("t"));
        Assert.AreEqual(StatusCode.NotFound, missing.StatusCode);
        StringAssert.Contains(missing.Status.Detail, "'t'");
    }

    [TestMethod]
    public async Task BearerTokenIsSentAndItsRoleApplies()
    {
        var tokens = new Dictionary<string, Role> { ["admin-secret"] = Role.Admin, ["actor-secret"] = Role.Actor };
        await using var server = await StartAsync(tokens);

        using var anonymous = new GearClient(server.Address);
        Assert.AreEqual(StatusCode.Unauthenticated, (await Assert.ThrowsExceptionAsync<RpcException>(() => anonymous.ListTablesAsync())).StatusCode);

        using var admin = new GearClient(server.Address, "admin-secret");
        await admin.CreateTableAsync(Spec("t", Selector.Uniform, Column("x", DType.I32)));

        using var actor = new GearClient(server.Address, "actor-secret");
        var denied = await Assert.ThrowsExceptionAsync<RpcException>(() => actor.DropTableAsync("t"));
        Assert.AreEqual(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [TestMethod]
    public async Task TlsEndpointsWorkWithAPinnedCertificate()
    {
        using var certificate = TestPki.SelfSignedServerCertificate();
        await using var server = await StartAsync(certificate: certificate);
        Assert.AreEqual("https", server.Address.Scheme);

        using var untrusting = new GearClient(new GearClientOptions { Endpoints = [server.Address], Retry = RetryPolicy.None });
        await Assert.ThrowsExceptionAsync<RpcException>(() => untrusting.ListTablesAsync());

        var thumbprint = certificate.GetCertHashString();
        using var client = new GearClient(new GearClientOptions
        {
            Endpoints = [server.Address],
            ServerCertificateValidation = (_, cert, _, _) => cert?.GetCertHashString() == thumbprint,
        });
        await client.CreateTableAsync(Spec("t", Selector.Uniform, Column("x", DType.I32)));
        Assert.AreEqual(1, (await client.ListTablesAsync()).Count);
    }

    [TestMethod]
    public async Task TlsEndpointsWorkTrustingThePrivateCa()
    {
        using var pki = new TestPki();
        await using var server = await StartAsync(certificate: pki.Server);
        using var client = new GearClient(new GearClientOptions { Endpoints = [server.Address], TrustedRootCertificate = pki.AuthorityPublic });
        await client.CreateTableAsync(Spec("t", Selector.Uniform, Column("x", DType.I32)));
        Assert.AreEqual(1, (await client.ListTablesAsync()).Count);

        using var otherCa = new TestPki();
        using var untrusting = new GearClient(new GearClientOptions
        {
            Endpoints = [server.Address], TrustedRootCertificate = otherCa.AuthorityPublic, Retry = RetryPolicy.None,
        });
        await Assert.ThrowsExceptionAsync<RpcException>(() => untrusting.ListTablesAsync(), "another CA's trust does not extend to this server");
    }

    [TestMethod]
    public async Task PerCallDeadlineEndsARateLimitedSample()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(server.Address);
        await client.CreateTableAsync(Spec("t", Selector.Uniform, Column("x", DType.I32)));
        var started = DateTime.UtcNow;
        // The table is empty: Sample waits on the rate limiter until the deadline.
        var e = await Assert.ThrowsExceptionAsync<RpcException>(() => client.SampleAsync(new SampleOptions("t") { BatchSize = 1 }, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.AreEqual(StatusCode.DeadlineExceeded, e.StatusCode);
        var elapsed = DateTime.UtcNow - started;
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
    }

    [TestMethod]
    public async Task DefaultTimeoutAppliesWhenTheCallGivesNone()
    {
        await using var server = await StartAsync();
        using var client = new GearClient(new GearClientOptions { Endpoints = [server.Address], DefaultTimeout = TimeSpan.FromMilliseconds(300) });
        await client.CreateTableAsync(Spec("t", Selector.Uniform, Column("x", DType.I32)));
        var e = await Assert.ThrowsExceptionAsync<RpcException>(() => client.SampleAsync(new SampleOptions("t") { BatchSize = 1 }));
        Assert.AreEqual(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    [TestMethod]
    public void OptionsAreValidated()
    {
        Assert.ThrowsException<ArgumentException>(() => new GearClient(new GearClientOptions()));
        Assert.ThrowsException<ArgumentException>(() => new GearClient(new GearClientOptions { Endpoints = [new Uri("ftp://x:1")] }));
        Assert.ThrowsException<ArgumentException>(() => new GearClient(new GearClientOptions { Endpoints = [new Uri("http://a:1"), new Uri("http://A:1/")] }));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => new GearClient(new GearClientOptions { Endpoints = [new Uri("http://a:1")], Retry = new RetryPolicy { MaxAttempts = 0 } }));
    }

    [TestMethod]
    public async Task DisposedClientRefusesCalls()
    {
        await using var server = await StartAsync();
        var client = new GearClient(server.Address);
        await client.ListTablesAsync();
        client.Dispose();
        await Assert.ThrowsExceptionAsync<ObjectDisposedException>(() => client.ListTablesAsync());
        client.Dispose(); // twice is fine
    }
}
