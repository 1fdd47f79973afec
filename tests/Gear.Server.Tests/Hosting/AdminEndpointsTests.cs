using Gear.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Gear.Server.Tests.Hosting;

[TestClass]
public sealed class AdminEndpointsTests
{
    private static async Task<(int Status, string Body)> GetAsync(AdminEndpoints admin, string path, string method = "GET")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        var body = new MemoryStream();
        context.Response.Body = body;
        await admin.HandleAsync(context);
        return (context.Response.StatusCode, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }

    [TestMethod]
    public async Task HealthzIsOkWhetherOrNotReady()
    {
        var admin = new AdminEndpoints(new ServerReadiness());
        Assert.AreEqual((200, "ok\n"), await GetAsync(admin, "/healthz"));
    }

    [TestMethod]
    public async Task ReadyzFollowsReadiness()
    {
        var readiness = new ServerReadiness();
        var admin = new AdminEndpoints(readiness);

        var (status, body) = await GetAsync(admin, "/readyz");
        Assert.AreEqual(503, status);
        StringAssert.Contains(body, "tables not created yet");

        readiness.MarkReady("ready: 2 tables");
        Assert.AreEqual((200, "ready\n"), await GetAsync(admin, "/readyz"));

        readiness.MarkNotReady("shutting down");
        Assert.AreEqual((503, "shutting down\n"), await GetAsync(admin, "/readyz"));
    }

    [TestMethod]
    public async Task UnknownPathsAndMethodsAreRefused()
    {
        var admin = new AdminEndpoints(new ServerReadiness());
        // Without an admin site (dashboard, /api/v1, /metrics) only the probes are served.
        Assert.AreEqual(404, (await GetAsync(admin, "/metrics")).Status);
        Assert.AreEqual(405, (await GetAsync(admin, "/healthz", "POST")).Status);
        Assert.AreEqual((200, ""), await GetAsync(admin, "/healthz", "HEAD"));
    }
}
