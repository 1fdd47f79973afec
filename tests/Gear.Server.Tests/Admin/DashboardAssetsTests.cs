using System.Text;
using System.Text.RegularExpressions;
using Gear.Server.Admin;

namespace Gear.Server.Tests.Admin;

[TestClass]
public sealed class DashboardAssetsTests
{
    [TestMethod]
    public void ThePageAndItsFilesAreEmbedded()
    {
        CollectionAssert.IsSubsetOf(new[] { "index.html", "dashboard.js", "dashboard.css" }, DashboardAssets.Names.ToArray());
        Assert.IsTrue(DashboardAssets.TryGet("/", out var page));
        Assert.AreEqual("text/html; charset=utf-8", page.ContentType);
        StringAssert.Contains(Encoding.UTF8.GetString(page.Bytes), "/dashboard.js");
    }

    [TestMethod]
    public void NothingLoadsFromOtherHosts()
    {
        foreach (var name in DashboardAssets.Names)
        {
            Assert.IsTrue(DashboardAssets.TryGet("/" + name, out var asset));
            var text = Encoding.UTF8.GetString(asset.Bytes);
            // The only absolute URL allowed is the SVG namespace, which is a name, not a download.
            var external = Regex.Matches(text, @"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", RegexOptions.IgnoreCase)
                .Select(m => m.Value).Where(v => !v.EndsWith("www.w3.org", StringComparison.Ordinal)).ToArray();
            Assert.AreEqual(0, external.Length, $"{name} references {string.Join(", ", external)}");
            Assert.IsFalse(text.Contains("@import", StringComparison.Ordinal) || text.Contains("@font-face", StringComparison.Ordinal), name);
        }
    }

    [TestMethod]
    public async Task ThePageIsServedWithAPolicyThatForbidsOtherHosts()
    {
        await using var harness = await AdminHarness.StartAsync();
        var page = await harness.GetAsync("/");
        Assert.AreEqual(200, page.Status);
        StringAssert.Contains(page.Headers.ContentSecurityPolicy.ToString(), "default-src 'none'");
        StringAssert.Contains(page.Headers.ContentSecurityPolicy.ToString(), "script-src 'self'");
        var script = await harness.GetAsync("/dashboard.js");
        StringAssert.StartsWith(script.ContentType, "text/javascript");
    }
}
