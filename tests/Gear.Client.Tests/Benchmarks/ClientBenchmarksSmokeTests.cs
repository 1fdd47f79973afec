using System.Diagnostics;
using System.Text.Json;

namespace Gear.Client.Tests.Benchmarks;

/// <summary>
/// Runs the built client benchmarks (bench/Gear.ClientBenchmarks) with the shortest durations and small
/// tables, as a user would, and checks that every expected row is there with positive figures. The figures
/// themselves are not judged: half a second on a shared machine says nothing about speed.
/// </summary>
[TestClass]
public sealed class ClientBenchmarksSmokeTests
{
    private static readonly string[] ExpectedRows =
    [
        "w2-overhead/raw", "w2-overhead/sdk", "w4-overhead/raw", "w4-overhead/sdk",
        "w2-sharded/sdk, 1 shard", "w2-sharded/sdk, 2 shards", "w2-sharded/sdk, 3 shards",
        "w2-sharded/raw unary, 1", "w2-sharded/raw streams, 2", "w2-sharded/raw streams, 3",
    ];

    [TestMethod]
    [Timeout(90_000)]
    public async Task EveryRowReportsPositiveBatchAndByteRates()
    {
        var json = Path.Combine(Path.GetTempPath(), $"gear-client-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, stdout, stderr) = await RunAsync(
                "--workload", "all", "--duration", "0.5", "--warmup", "0.3", "--rounds", "1", "--scale", "0.02", "--json", json);
            Assert.AreEqual(0, exitCode, $"the client benchmarks failed\nstdout:\n{stdout}\nstderr:\n{stderr}");

            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var rows = report.RootElement.GetProperty("measurements").EnumerateArray().ToArray();
            CollectionAssert.AreEquivalent(ExpectedRows,
                rows.Select(r => $"{r.GetProperty("workload").GetString()}/{r.GetProperty("path").GetString()}").ToArray(), stdout);
            foreach (var row in rows)
            {
                var name = $"{row.GetProperty("workload").GetString()}/{row.GetProperty("path").GetString()}";
                Assert.IsTrue(row.GetProperty("batchesPerSecond").GetDouble() > 0, $"{name}: no batches\n{stdout}");
                Assert.IsTrue(row.GetProperty("megabytesPerSecond").GetDouble() > 0, $"{name}: no bytes\n{stdout}");
                Assert.IsTrue(row.GetProperty("clientCpuMicrosecondsPerBatch").GetDouble() > 0, $"{name}: no client CPU time\n{stdout}");
            }

            var ratios = report.RootElement.GetProperty("ratios").EnumerateArray().ToArray();
            Assert.AreEqual(12, ratios.Length,
                "SDK ÷ raw for W2 and W4 (rate, CPU); 2 and 3 shards ÷ 1 shard (rate, CPU), ÷ raw unary, and raw streams ÷ them");
            foreach (var ratio in ratios)
                Assert.IsTrue(ratio.GetProperty("ratio").GetDouble() > 0, ratio.ToString());
            StringAssert.Contains(stdout, "sdk ÷ raw", "the printed table shows the ratios");
        }
        finally
        {
            File.Delete(json);
        }
    }

    [TestMethod]
    public async Task AnUnknownWorkloadIsAUsageError()
    {
        var (exitCode, _, stderr) = await RunAsync("--workload", "w9-nothing");
        Assert.AreEqual(2, exitCode);
        StringAssert.Contains(stderr, "w9-nothing");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gear.ClientBenchmarks.dll"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // Servers that required tokens would refuse the benchmark's table creation; its own children need none.
        start.Environment.Remove("GEAR_TOKENS");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
