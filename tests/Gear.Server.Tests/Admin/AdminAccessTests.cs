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
            ["learner-secret"] = Role.Learner,
        });
        // Every route × no token, a wrong one, another scheme, each role: only admin gets through.
        foreach (var path in Protected.Concat(["/api/v1", "/api/v1/tables/absent"]))
        {
            var none = await harness.GetAsync(path, Remote);
            Assert.AreEqual(401, none.Status, path);
            StringAssert.StartsWith(none.Headers.WWWAuthenticate.ToString(), "Bearer");
            Assert.AreEqual(401, (await harness.GetAsync(path, Remote, "Bearer wrong")).Status, path);
            Assert.AreEqual(401, (await harness.GetAsync(path, Remote, "Basic YWRtaW46YWRtaW4=")).Status, path);
            foreach (var role in new[] { "actor", "learner" })
            {
                var refused = await harness.GetAsync(path, Remote, $"Bearer {role}-secret");
                Assert.AreEqual(403, refused.Status, $"{path} as {role}");
                StringAssert.Contains(refused.Body, "needs admin");
                Assert.IsFalse(refused.Body.Contains($"{role}-secret"), "the token is never echoed");
            }
            var admin = await harness.GetAsync(path, Remote, "Bearer admin-secret");
            Assert.IsFalse(admin.Status is 401 or 403, $"{path} as admin: {admin.Status}");
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
