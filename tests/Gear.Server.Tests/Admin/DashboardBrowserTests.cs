using System.Globalization;
using System.Text.Json.Nodes;
using Gear.Protocol.Grpc;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Admin;

/// <summary>
/// The dashboard of a real <c>gear serve</c> under traffic, loaded in headless chromium over the DevTools
/// protocol: the page renders numbers, they move between two reads, the charts draw, and the console stays
/// free of errors. A screenshot is attached to the test results. Without chromium the test is inconclusive.
/// </summary>
[TestClass]
public sealed class DashboardBrowserTests
{
    public TestContext TestContext { get; set; } = null!;

    // The page's state as the test reads it: server totals, the traffic table's row, and what was drawn.
    private const string ReadPage = """
        (() => {
          const text = (selector) => document.querySelector(selector)?.textContent ?? null;
          const table = document.body.dataset.table;
          const row = (cls) => text(`tr[data-table="${table}"] .${cls}`);
          const chart = document.getElementById("server-rate-chart");
          const pixels = chart.getContext("2d").getImageData(0, 0, chart.width, chart.height).data;
          let drawn = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
          const detail = document.querySelector(`section.table-detail[data-table="${table}"]`);
          return {
            updates: Number(document.body.dataset.updates || 0),
            inserted: text("#server-items-inserted"),
            sampled: text("#server-windows-sampled"),
            tables: text("#table-count"),
            connections: text("#server-connections"),
            device: text("#server-device"),
            dataPlane: text("#server-data-plane"),
            checkpoint: text("#server-checkpoint"),
            items: row("items"),
            insertRate: row("insert-rate"),
            sampleRate: row("sample-rate"),
            learners: row("learners"),
            actors: row("actors"),
            limiter: row("limiter"),
            chartPixels: drawn,
            detail: detail !== null,
            timesSampledBars: detail ? detail.querySelectorAll("svg.times-sampled rect").length : 0,
            priorityBars: detail ? detail.querySelectorAll("svg.priorities rect").length : 0,
            banner: document.getElementById("error-banner").hidden ? null : text("#error-banner"),
          };
        })()
        """;

    [TestMethod]
    [Timeout(180_000)]
    public async Task DashboardShowsLiveNumbersWithoutConsoleErrors()
    {
        if (!HeadlessChromium.IsInstalled)
            Assert.Inconclusive($"{HeadlessChromium.Executable} is not installed (test.sh installs Debian's chromium)");

        using var gear = await GearProcess.StartReadyAsync();
        using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
        var client = new ReplayClient(channel);
        // "a-…" sorts first, so the page opens its details without a click.
        var table = await client.CreateTableAsync(KnownSteps.Spec("a-browser-" + Guid.NewGuid().ToString("N")[..8], Gear.Protocol.V1.Selector.Prioritized));
        await using var traffic = new TrafficGenerator(client, table);

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(gear.AdminAddress);
        await WaitForAsync(browser, "document.body && Number(document.body.dataset.updates || 0) >= 2", TimeSpan.FromSeconds(30));
        await browser.EvaluateAsync($"document.body.dataset.table = {System.Text.Json.JsonSerializer.Serialize(table)}");
        // Let the rates fill in (the server computes them once a second) and the first table's details arrive.
        await WaitForAsync(browser, $"(document.querySelector('tr[data-table=\"{table}\"] .insert-rate')?.textContent ?? '0') !== '0'", TimeSpan.FromSeconds(30));

        var first = (await browser.EvaluateAsync(ReadPage))!.AsObject();
        await Task.Delay(2500);
        var second = (await browser.EvaluateAsync(ReadPage))!.AsObject();
        await SaveScreenshotAsync(browser);

        var report = $"first read: {first.ToJsonString()}\nsecond read: {second.ToJsonString()}\nerrors: {string.Join("\n", browser.Errors)}";
        Assert.AreEqual(0, browser.Errors.Count, "the console stays free of errors\n" + report);
        Assert.IsNull(second["banner"]?.GetValue<string>(), report);
        Assert.IsTrue(second["updates"]!.GetValue<double>() > first["updates"]!.GetValue<double>(), "the page keeps polling\n" + report);
        Assert.IsTrue(Number(second, "inserted") > Number(first, "inserted"), "items inserted move\n" + report);
        Assert.IsTrue(Number(second, "sampled") > Number(first, "sampled"), "windows sampled move\n" + report);
        Assert.IsTrue(Number(second, "items") > 0, "the table row shows its items\n" + report);
        Assert.IsTrue(Number(second, "insertRate") > 0 && Number(second, "sampleRate") > 0, "the row shows rates\n" + report);
        Assert.AreEqual(3, Number(second, "tables"), "two configured tables and the traffic table\n" + report);
        Assert.IsTrue(Number(second, "connections") >= 1, report);
        Assert.IsTrue(Number(second, "learners") >= 1 && Number(second, "actors") >= 1, "the stream counts show\n" + report);
        StringAssert.Contains(second["device"]!.GetValue<string>(), "no device", report);
        StringAssert.Contains(second["dataPlane"]!.GetValue<string>(), "tcp", report);
        StringAssert.StartsWith(second["checkpoint"]!.GetValue<string>(), "none", report);
        Assert.IsTrue(second["chartPixels"]!.GetValue<double>() > 100, "the rate chart is drawn\n" + report);
        Assert.IsTrue(second["detail"]!.GetValue<bool>(), "the first table's details are open\n" + report);
        Assert.IsTrue(second["timesSampledBars"]!.GetValue<double>() > 0 && second["priorityBars"]!.GetValue<double>() > 0, "histograms are drawn\n" + report);
    }

    private static double Number(JsonObject read, string field)
    {
        var text = read[field]?.GetValue<string>() ?? throw new AssertFailedException($"the page shows no {field}: {read.ToJsonString()}");
        return double.Parse(text.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static async Task WaitForAsync(HeadlessChromium browser, string condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await browser.EvaluateAsync($"Boolean({condition})"))?.GetValue<bool>() != true)
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the page did not reach '{condition}' within {timeout}; errors: {string.Join("\n", browser.Errors)}");
            await Task.Delay(200);
        }
    }

    private async Task SaveScreenshotAsync(HeadlessChromium browser)
    {
        // MSTest deletes its per-run deployment folder (TestRunDirectory) when the run ends, so the screenshot goes
        // next to it, into the results directory itself (test.sh's TestResults/run-N), where it stays.
        var results = TestContext.TestRunDirectory is { } run ? Directory.GetParent(run)?.FullName : null;
        var directory = Path.Combine(results ?? Path.GetTempPath(), "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"gear-dashboard-{DateTime.UtcNow:yyyyMMdd-HHmmss}.png");
        await File.WriteAllBytesAsync(path, await browser.ScreenshotAsync());
        TestContext.AddResultFile(path);
        TestContext.WriteLine($"dashboard screenshot: {path}");
    }
}
