using System.Text.Json;
using Gear.Server.Bench;
using Gear.Server.Tests.Configuration;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Bench;

/// <summary>
/// Runs the built <c>gear bench</c> for every workload with the shortest durations, as a user would, and checks
/// that each workload produced a positive figure next to a positive reference. The figures themselves are
/// not judged: a 1 s run on a shared machine says nothing about speed. (At 0.3 s a 16.8 MB W4 batch sometimes
/// did not complete inside the window on a loaded machine, and the row read 0.)
/// </summary>
[TestClass]
public sealed class BenchSmokeTests
{
    [TestMethod]
    [Timeout(180_000)]
    public async Task EveryWorkloadReportsAThroughputAndAReference()
    {
        using var directory = new TempDirectory();
        var json = Path.Combine(directory.Path, "bench.json");
        var (exitCode, stdout, stderr) = await RunGearAsync("bench", "--workload", "all", "--duration", "1", "--warmup", "0.3", "--json", json);
        Assert.AreEqual(0, exitCode, $"gear bench failed\nstdout:\n{stdout}\nstderr:\n{stderr}");

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var throughputs = report.RootElement.GetProperty("Throughputs").EnumerateArray().ToArray();
        CollectionAssert.AreEquivalent(new[] { "w1-insert", "w1-insert-wal", "w1-sample", "w1-sample-dp", "w4-sample", "w4-sample-dp" },
            throughputs.Select(t => t.GetProperty("Workload").GetString()).ToArray());
        foreach (var throughput in throughputs)
        {
            var workload = throughput.GetProperty("Workload").GetString();
            var bytesPerSecond = throughput.GetProperty("BytesPerSecond").GetDouble();
            var reference = throughput.GetProperty("ReferenceBytesPerSecond").GetDouble();
            Assert.IsTrue(bytesPerSecond > 0, $"{workload}: throughput {bytesPerSecond}");
            Assert.IsTrue(reference > 0, $"{workload}: reference {reference}");
            Assert.AreEqual(bytesPerSecond / reference, throughput.GetProperty("Ratio").GetDouble(), 1e-9, workload);
            StringAssert.Contains(stdout, workload, "the table names every workload");
        }

        var latencies = report.RootElement.GetProperty("Latencies").EnumerateArray().ToArray();
        CollectionAssert.AreEqual(new[] { 1, 8 }, latencies.Select(l => l.GetProperty("Learners").GetInt32()).ToArray());
        foreach (var latency in latencies)
        {
            var p50 = latency.GetProperty("P50Microseconds").GetDouble();
            var p99 = latency.GetProperty("P99Microseconds").GetDouble();
            Assert.IsTrue(latency.GetProperty("Calls").GetInt64() > 0);
            Assert.IsTrue(p50 > 0 && p99 >= p50, $"p50 {p50} µs, p99 {p99} µs");
        }
        StringAssert.Contains(stdout, "w2-latency");
    }

    /// <summary>
    /// gear bench backends measures every gather workload, prioritized selection, the selection steps and the learner's loop on the CPU; without a usable GPU
    /// it says that the CUDA rows were not run, and why, instead of inventing figures.
    /// </summary>
    [TestMethod]
    [Timeout(120_000)]
    public async Task BackendsComparisonMeasuresTheCpuAndSaysWhyCudaWasNotRun()
    {
        using (var cuda = Gear.Core.Compute.Cuda.CudaBackend.TryCreate(0, out var description))
        {
            if (cuda is not null)
                Assert.Inconclusive($"a GPU is usable here ({description}); this checks the report without one");
        }
        using var directory = new TempDirectory();
        var json = Path.Combine(directory.Path, "backends.json");
        var (exitCode, stdout, stderr) = await RunGearAsync("bench", "backends", "--duration", "0.1", "--json", json);
        Assert.AreEqual(0, exitCode, $"gear bench backends failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
        StringAssert.Contains(stdout, "CUDA rows not run: ");
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.IsFalse(report.RootElement.GetProperty("CudaRan").GetBoolean());
        foreach (var gather in report.RootElement.GetProperty("Gathers").EnumerateArray())
        {
            Assert.IsTrue(gather.GetProperty("CpuBytesPerSecond").GetDouble() > 0, gather.ToString());
            foreach (var absent in new[] { "CudaBytesPerSecond", "RatioToPeakCopy", "RatioToSameBytesCopy", "Met" })
                Assert.AreEqual(JsonValueKind.Null, gather.GetProperty(absent).ValueKind, $"{absent} without a GPU: {gather}");
        }
        foreach (var workload in BackendBench.Workloads)
        {
            var row = stdout.Split('\n').SingleOrDefault(line => line.StartsWith(workload.Name + " ", StringComparison.Ordinal));
            Assert.IsNotNull(row, $"no row for {workload.Name}:\n{stdout}");
            // "<name>  not run  <cpu MB/s>  <what>"
            var fields = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual("not run", $"{fields[1]} {fields[2]}", row);
            Assert.IsTrue(double.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture) > 0, row);
        }
        StringAssert.Matches(stdout, new System.Text.RegularExpressions.Regex(@"prioritized: cpu \d+(\.\d)? µs per batch, cuda not run"));
        foreach (var step in new[] { "importance weights", "uniform picks", "top-k" })
            StringAssert.Matches(stdout, new System.Text.RegularExpressions.Regex(step + @": cpu \d+\.\d µs, cuda not run"));
        var learner = report.RootElement.GetProperty("Learner");
        Assert.IsTrue(learner.GetProperty("CpuMicroseconds").GetDouble() > 0, learner.ToString());
        foreach (var absent in new[] { "CudaMicroseconds", "CudaQueuedMicroseconds" })
            Assert.AreEqual(JsonValueKind.Null, learner.GetProperty(absent).ValueKind, $"{absent} without a GPU: {learner}");
        StringAssert.Matches(stdout, new System.Text.RegularExpressions.Regex(@"learner: cpu \d+\.\d µs per batch, cuda not run"));
    }

    /// <summary>
    /// --rows limits gear bench backends to the rows named: the report and the table hold those and nothing else,
    /// and a name that is no row is a usage error that lists the rows.
    /// </summary>
    [TestMethod]
    [Timeout(120_000)]
    public async Task BackendsRunOnlyTheRowsNamed()
    {
        using var directory = new TempDirectory();
        var json = Path.Combine(directory.Path, "backends.json");
        var (exitCode, stdout, stderr) = await RunGearAsync("bench", "backends", "--duration", "0.05", "--rows", "w2-gather, selection", "--json", json);
        Assert.AreEqual(0, exitCode, $"gear bench backends failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var gathers = report.RootElement.GetProperty("Gathers").EnumerateArray().Select(row => row.GetProperty("Workload").GetString()).ToArray();
        CollectionAssert.AreEqual(new[] { "w2-gather" }, gathers);
        Assert.AreEqual(JsonValueKind.Null, report.RootElement.GetProperty("Prioritized").ValueKind);
        Assert.AreEqual(JsonValueKind.Null, report.RootElement.GetProperty("Learner").ValueKind);
        Assert.AreEqual(3, report.RootElement.GetProperty("Selection").GetArrayLength());
        Assert.IsFalse(stdout.Contains("prioritized:", StringComparison.Ordinal), stdout);
        StringAssert.Contains(stdout, "top-k: cpu ");
        foreach (var other in BackendBench.Workloads.Where(workload => workload.Name != "w2-gather"))
            Assert.IsFalse(stdout.Split('\n').Any(line => line.StartsWith(other.Name + " ", StringComparison.Ordinal)), $"{other.Name} ran:\n{stdout}");

        var (unknownExit, _, unknownError) = await RunGearAsync("bench", "backends", "--rows", "w2-gather,w9-nothing");
        Assert.AreEqual(2, unknownExit);
        StringAssert.Contains(unknownError, "'w9-nothing'");
        foreach (var row in BackendBench.RowNames)
            StringAssert.Contains(unknownError, row, "the error lists the rows");
    }

    [TestMethod]
    public async Task AnUnknownWorkloadIsAUsageError()
    {
        var (exitCode, _, stderr) = await RunGearAsync("bench", "--workload", "w9-nothing");
        Assert.AreEqual(2, exitCode);
        StringAssert.Contains(stderr, "w9-nothing");
        foreach (var name in BenchWorkloadNames.Accepted)
            StringAssert.Contains(stderr, name, "the error lists what is accepted");
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunGearAsync(params string[] arguments) =>
        GearProcess.RunAsync(TimeSpan.FromSeconds(170), arguments);
}
