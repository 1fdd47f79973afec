using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Cli;

/// <summary><c>gear info</c> and <c>gear selftest</c> as a script would run them: output and exit codes.</summary>
[TestClass]
public sealed class CliCommandTests
{
    [TestMethod]
    public void SelftestChecksTheCpuBackendAndPasses()
    {
        var (exitCode, output) = RunGear("selftest", "--seed", "3");

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "PASS gather:");
        StringAssert.Contains(output, "PASS prioritized-selection:");
        StringAssert.Contains(output, "selftest passed on the cpu backend");
    }

    [TestMethod]
    public void AnUnknownSelftestDeviceIsAUsageError()
    {
        var (unknown, unknownOutput) = RunGear("selftest", "--device", "tpu");
        Assert.AreEqual(2, unknown, unknownOutput);
        StringAssert.Contains(unknownOutput, "'tpu'");
    }

    [TestMethod]
    public void SelftestOnCudaWithoutAGpuFailsWithTheReason()
    {
        using (var cuda = Gear.Core.Compute.Cuda.CudaBackend.TryCreate(0, out var description))
        {
            if (cuda is not null)
                Assert.Inconclusive($"a GPU is usable here ({description}); the Gpu test category covers it");
        }
        var (exitCode, output) = RunGear("selftest", "--device", "cuda:0");
        Assert.AreEqual(1, exitCode, output);
        StringAssert.Contains(output, "gear selftest: cuda:0 cannot be used: ");
    }

    [TestMethod]
    public async Task InfoShowsARunningServersTablesAsTextAndJson()
    {
        using var gear = await GearProcess.StartReadyAsync();
        var server = gear.GrpcAddress.ToString();

        var (exitCode, output) = RunGear("info", "--server", server);
        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "backend cpu");
        StringAssert.Contains(output, "2 tables");
        StringAssert.Contains(output, "  replay: Uniform sampler, 0 items");

        var (jsonExit, json) = RunGear("info", "--server", server, "--json");
        Assert.AreEqual(0, jsonExit, json);
        using var document = JsonDocument.Parse(json);
        Assert.AreEqual("cpu", document.RootElement.GetProperty("server").GetProperty("backend").GetString());
        Assert.AreEqual(2, document.RootElement.GetProperty("tables").GetProperty("tables").GetArrayLength());
    }

    [TestMethod]
    public void InfoWithoutAServerExitsOneNamingTheStatus()
    {
        var (exitCode, output) = RunGear("info", "--server", $"http://127.0.0.1:{ClosedPort()}", "--timeout", "5");

        Assert.AreEqual(1, exitCode, output);
        StringAssert.Contains(output, "Unavailable");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed
    }

    private static (int ExitCode, string Output) RunGear(params string[] arguments)
    {
        using var gear = GearProcess.Start(arguments);
        var exitCode = gear.WaitForExitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return (exitCode, gear.Stdout + "\n" + gear.Stderr);
    }
}
