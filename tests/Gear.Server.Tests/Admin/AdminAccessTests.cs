using System.Net;
using Gear.Server.Security;

namespace Gear.Server.Tests.Admin;

[TestClass]
public sealed class AdminAccessTests
{
    private static readonly IPAddress Remote = IPAddress.Parse("10.1.2.3");
    private static readonly string[] Protected = ["/", "/dashboard.js", "/api/v1/server", "/api/v1/tables", "/metrics"];

    [TestMethod]
    public async Task LoopbackCallersReadEveryRouteWithoutAToken()
    {
        await using var harness = await AdminHarness.StartAsync(new Dictionary<string, Role> { ["admin-secret"] = Role.Admin });
        foreach (var path in Protected)
            Assert.AreEqual(200, (await harness.GetAsync(path)).Status, path);
        Assert.AreEqual(200, (await harness.GetAsync("/metrics", IPAddress.IPv6Loopback)).Status, "::1 is loopback too");
    }

    [TestMethod]
    public async Task RemoteCallersNeedAnAdminToken()
    {
        await using var harness = await AdminHarness.StartAsync(new Dictionary<string, Role>
        {
            ["admin-secret"] = Role.Admin,
            ["actor-secret"] = Role.Actor,
        });
        foreach (var path in Protected)
        {
            var none = await harness.GetAsync(path, Remote);
            Assert.AreEqual(401, none.Status, path);
            StringAssert.StartsWith(none.Headers.WWWAuthenticate.ToString(), "Bearer");
            Assert.AreEqual(401, (await harness.GetAsync(path, Remote, "Bearer wrong")).Status, path);
            Assert.AreEqual(401, (await harness.GetAsync(path, Remote, "Basic YWRtaW46YWRtaW4=")).Status, path);
            var actor = await harness.GetAsync(path, Remote, "Bearer actor-secret");
            Assert.AreEqual(403, actor.Status, path);
            StringAssert.Contains(actor.Body, "needs admin");
            Assert.IsFalse(actor.Body.Contains("actor-secret"), "the token is never echoed");
            Assert.AreEqual(200, (await harness.GetAsync(path, Remote, "Bearer admin-secret")).Status, path);
        }
    }

    [TestMethod]
    public async Task WithoutTokensRemoteCallersAreRefused()
    {
        await using var harness = await AdminHarness.StartAsync();
        var refused = await harness.GetAsync("/api/v1/server", Remote, "Bearer anything");
        Assert.AreEqual(403, refused.Status);
        StringAssert.Contains(refused.Body, "loopback callers only");
    }

    [TestMethod]
    public async Task ProbesStayOpenToEveryCaller()
    {
        await using var harness = await AdminHarness.StartAsync(new Dictionary<string, Role> { ["admin-secret"] = Role.Admin });
        Assert.AreEqual(200, (await harness.GetAsync("/healthz", Remote)).Status);
        Assert.AreEqual(200, (await harness.GetAsync("/readyz", Remote)).Status);
        Assert.AreEqual(404, (await harness.GetAsync("/nope", Remote)).Status);
    }
}
