using Gear.Core.Tests.Compute.Cuda;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Configuration;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Cuda;

/// <summary>
/// The CUDA backend through its real bindings, without a GPU: the <c>gear</c> child process loads a fake
/// <c>libcuda.so.1</c> and <c>libnvrtc.so.13</c> (tests/fake-cuda, built here with clang-14 and found through
/// LD_LIBRARY_PATH) whose kernels are the host emulation of kernels/*.cu and whose calls check what the real
/// driver checks (a current context on the calling thread, frees and registrations that match, live streams), and
/// whose streams run their work late, only when something waits for it, as a GPU's do. This runs the
/// function-pointer bindings, context handling, NVRTC options, module loading, launches and the ordering of the
/// backend's streams (gathers, plan uploads, selection) that the emulation tests bypass: left unordered, the
/// selftest's comparisons fail here (a gather queued without waiting for its plan's upload crashed the child).
/// It proves the code paths, not the GPU: a real device runs the Gpu test category.
/// </summary>
[TestClass]
public sealed class FakeCudaTests
{
    private static readonly Lazy<string> FakeLibraries = new(Build);

    [TestMethod]
    [Timeout(120_000)]
    public async Task SelftestOnTheFakeDeviceRunsTheComparisonsThroughTheBindingsAndPasses()
    {
        Clang.Require();
        using var gear = GearProcess.Start(["selftest", "--device", "cuda:0", "--seed", "4"], Environment());
        var exitCode = await gear.WaitForExitAsync(TimeSpan.FromSeconds(110));

        Assert.AreEqual(0, exitCode, $"stdout:\n{gear.Stdout}\nstderr:\n{gear.Stderr}");
        StringAssert.Contains(gear.Stdout, "device cuda:0: Gear fake CUDA device, sm_70, driver CUDA 12.4");
        StringAssert.Matches(gear.Stdout, new System.Text.RegularExpressions.Regex(@"sum-tree\s+PASS"));
        StringAssert.Matches(gear.Stdout, new System.Text.RegularExpressions.Regex(@"gather\s+PASS"));
        foreach (var check in new[] { "importance-weights", "uniform-picks", "top-k" })
            StringAssert.Matches(gear.Stdout, new System.Text.RegularExpressions.Regex(check + @"\s+PASS"));
        StringAssert.Contains(gear.Stdout, "selftest passed on cuda:0");
    }

    /// <summary>A device newer than NVRTC gets PTX for the newest architecture NVRTC knows, which the driver compiles.</summary>
    [TestMethod]
    [Timeout(120_000)]
    public async Task ADeviceNewerThanNvrtcGetsPtxForTheNewestKnownArchitecture()
    {
        Clang.Require();
        using var gear = GearProcess.Start(["selftest", "--device", "cuda:0"], Environment(computeCapability: 120));
        var exitCode = await gear.WaitForExitAsync(TimeSpan.FromSeconds(110));

        Assert.AreEqual(0, exitCode, $"stdout:\n{gear.Stdout}\nstderr:\n{gear.Stderr}");
        StringAssert.Contains(gear.Stdout, "device cuda:0: Gear fake CUDA device, sm_120, kernels as compute_80 PTX, driver CUDA 12.4");
    }

    /// <summary>A device older than anything NVRTC compiles for cannot be used, and the reason says so.</summary>
    [TestMethod]
    [Timeout(60_000)]
    public async Task ADeviceOlderThanNvrtcIsRefusedWithTheReason()
    {
        Clang.Require();
        using var gear = GearProcess.Start(["selftest", "--device", "cuda:0"], Environment(computeCapability: 60));
        Assert.AreEqual(1, await gear.WaitForExitAsync(TimeSpan.FromSeconds(50)));
        StringAssert.Contains(gear.Stderr, "gear selftest: cuda:0 cannot be used: nvrtcGetSupportedArchs failed: libnvrtc.so.13 compiles for sm_70 to sm_80, not for this device's sm_60");
    }

    [TestMethod]
    [Timeout(60_000)]
    public async Task ServeWithDeviceAutoTakesTheDeviceAndSaysSo()
    {
        Clang.Require();
        using var gear = GearProcess.StartServe(["--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0"], Environment());
        var line = await gear.WaitForLineAsync(l => l.Contains("backend "), TimeSpan.FromSeconds(30));
        StringAssert.Contains(line, "backend cuda:0: device auto: cuda:0: Gear fake CUDA device, sm_70");
        await gear.WaitForLineAsync(l => l.Contains("ready: serving"), TimeSpan.FromSeconds(30));

        // Shutting down releases the device through the bindings; a failed release would be an error exit.
        gear.Terminate();
        Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"stdout:\n{gear.Stdout}\nstderr:\n{gear.Stderr}");
    }

    /// <summary>
    /// gear serve on the fake device samples, through the CUDA backend (selection on its own stream, gathers by kernel
    /// into pinned host memory, both run late by the fake), exactly the bytes that were inserted, for uniform and
    /// prioritized tables.
    /// </summary>
    [TestMethod]
    [Timeout(120_000)]
    public async Task ServeOnTheFakeDeviceSamplesTheBytesInserted()
    {
        Clang.Require();
        using var gear = GearProcess.StartServe(["--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0"], Environment());
        await gear.WaitForLineAsync(l => l.Contains("ready: serving"), TimeSpan.FromSeconds(60));
        StringAssert.Contains(gear.Stdout, "backend cuda:0");
        using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
        var client = new ReplayClient(channel);
        foreach (var sampler in new[] { Selector.Uniform, Selector.Prioritized })
        {
            var name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName(), sampler));
            var trajectories = await client.InsertAsync(name, Enumerable.Range(1, 12).Select(i => (ulong)i), length: 9, priority: 2);
            for (var seed = 1UL; seed <= 3; seed++)
            {
                var reply = await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 16, WindowLength = 4, Seed = seed });
                Assert.AreEqual(16, reply.Keys.Count, $"{sampler}, seed {seed}");
                for (var w = 0; w < reply.Keys.Count; w++)
                {
                    var (trajectory, start) = (trajectories[reply.Keys[w]], reply.StartSteps[w]);
                    CollectionAssert.AreEqual(KnownSteps.Obs(trajectory, start, 4), reply.Columns[0].Span.Slice(w * 48, 48).ToArray(), $"{sampler}, seed {seed}, window {w}: obs");
                    CollectionAssert.AreEqual(KnownSteps.Action(trajectory, start, 4), reply.Columns[1].Span.Slice(w * 16, 16).ToArray(), $"{sampler}, seed {seed}, window {w}: action");
                }
            }
        }

        gear.Terminate();
        Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"stdout:\n{gear.Stdout}\nstderr:\n{gear.Stderr}");
    }

    /// <summary>
    /// gear bench backends with a device runs every CUDA row through the bindings: each gather gets both references
    /// (the peak copy, which the fake times at 1 ms per event pair, and the same-bytes copy, timed per call), both
    /// ratios, the kernel alone timed by events around each gather launch (which the fake also times at 1 ms), and
    /// the rows into device memory a target judged on the peak ratio, in the table and in the JSON; the learner's loop
    /// both ways (each sample waited for, two queued at a time). The figures are the emulation's, so only their
    /// presence and arithmetic are checked.
    /// </summary>
    [TestMethod]
    [Timeout(170_000)]
    public async Task BenchBackendsOnTheFakeDeviceReportsBothReferencesForEveryGather()
    {
        Clang.Require();
        using var directory = new TempDirectory();
        var json = Path.Combine(directory.Path, "backends.json");
        using var gear = GearProcess.Start(["bench", "backends", "--duration", "0.02", "--json", json], Environment());
        var exitCode = await gear.WaitForExitAsync(TimeSpan.FromSeconds(160));

        Assert.AreEqual(0, exitCode, $"stdout:\n{gear.Stdout}\nstderr:\n{gear.Stderr}");
        StringAssert.Contains(gear.Stdout, "÷peak: cuda ÷ peak reference (the targets are judged on this)");
        using var report = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.IsTrue(report.RootElement.GetProperty("CudaRan").GetBoolean());
        foreach (var gather in report.RootElement.GetProperty("Gathers").EnumerateArray())
        {
            var name = gather.GetProperty("Workload").GetString()!;
            var cuda = gather.GetProperty("CudaBytesPerSecond").GetDouble();
            var peak = gather.GetProperty("PeakCopyBytesPerSecond").GetDouble();
            var sameBytes = gather.GetProperty("SameBytesCopyBytesPerSecond").GetDouble();
            Assert.IsTrue(cuda > 0 && peak > 0 && sameBytes > 0, $"{name}: {gather}");
            Assert.AreEqual(cuda / peak, gather.GetProperty("RatioToPeakCopy").GetDouble(), 1e-12, name);
            Assert.AreEqual(cuda / sameBytes, gather.GetProperty("RatioToSameBytesCopy").GetDouble(), 1e-12, name);
            // Each launch timed at the fake's 1 ms: one batch's bytes per millisecond; no launch timed would be NaN.
            var kernel = gather.GetProperty("CudaKernelBytesPerSecond").GetDouble();
            Assert.IsTrue(double.IsFinite(kernel) && kernel > 0, $"{name}: {gather}");
            Assert.AreEqual(kernel / peak, gather.GetProperty("KernelRatioToPeakCopy").GetDouble(), 1e-12, name);
            var intoDevice = name.Contains("-to-dev", StringComparison.Ordinal) || name.StartsWith("w4-dev-dev", StringComparison.Ordinal);
            Assert.AreEqual(intoDevice ? "RatioToPeakCopy" : null, gather.GetProperty("TargetJudgedOn").GetString(), name);
            var row = gear.Stdout.Split('\n').Single(line => line.StartsWith(name + " ", StringComparison.Ordinal));
            StringAssert.Contains(row, gather.GetProperty("RatioToSameBytesCopy").GetDouble().ToString("F2", System.Globalization.CultureInfo.InvariantCulture), row);
            StringAssert.Contains(row, gather.GetProperty("KernelRatioToPeakCopy").GetDouble().ToString("F2", System.Globalization.CultureInfo.InvariantCulture), row);
        }
        var learner = report.RootElement.GetProperty("Learner");
        var waited = learner.GetProperty("CudaMicroseconds").GetDouble();
        var queued = learner.GetProperty("CudaQueuedMicroseconds").GetDouble();
        Assert.IsTrue(waited > 0 && queued > 0, learner.ToString());
        StringAssert.Contains(gear.Stdout,
            $"cuda {waited.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} µs each waited for, {queued.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} µs two queued at a time");
    }

    [ClassCleanup]
    public static void RemoveFakeLibraries()
    {
        if (FakeLibraries.IsValueCreated)
            Directory.Delete(FakeLibraries.Value, recursive: true);
    }

    private static Dictionary<string, string> Environment(int computeCapability = 70) => new()
    {
        ["LD_LIBRARY_PATH"] = FakeLibraries.Value,
        ["GEAR_FAKE_COMPUTE_CAPABILITY"] = computeCapability.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Build()
    {
        var directory = Directory.CreateTempSubdirectory("gear-fake-cuda-").FullName;
        var sources = Path.Combine(Clang.KernelDirectory, "..", "tests", "fake-cuda");
        Clang.Run(Clang.Cxx!,
        [
            "-std=c++17", "-O1", "-Wall", "-Werror", "-shared", "-fPIC", "-ffp-contract=off",
            "-include", Path.Combine(Clang.KernelDirectory, "shim", "host_emulation.h"), "-Wl,-soname,libcuda.so.1",
            "-o", Path.Combine(directory, "libcuda.so.1"), Path.Combine(sources, "fake_cuda.cpp"),
        ], "clang++-14 build of the fake CUDA driver");
        Clang.Run(Clang.Cxx!,
        [
            "-std=c++17", "-O1", "-Wall", "-Werror", "-shared", "-fPIC", "-Wl,-soname,libnvrtc.so.13",
            "-o", Path.Combine(directory, "libnvrtc.so.13"), Path.Combine(sources, "fake_nvrtc.cpp"),
        ], "clang++-14 build of the fake NVRTC");
        return directory;
    }
}
