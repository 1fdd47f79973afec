using System.Diagnostics;

namespace Gear.Samples.Tests;

/// <summary>
/// Each C# sample run briefly, as its README says to run it (with a short budget), against the server it
/// starts itself. The CartPole learning claim is measured by its full documented run, recorded in
/// bench/RESULTS.md; here it must train, evaluate and write its curve.
/// </summary>
[TestClass]
public sealed class SampleSmokeTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void CartPoleTrainsEvaluatesAndWritesItsCurve()
    {
        var svg = Path.Combine(Path.GetTempPath(), $"cartpole-smoke-{Environment.ProcessId}.svg");
        var (exitCode, output) = Run("CartPole.dll", "--seconds", "8", "--eval-interval", "2", "--svg", svg);

        Assert.AreEqual(0, exitCode, output);
        var evaluations = output.Split('\n').Count(line => line.Contains("mean greedy return") && line.Contains("updates"));
        Assert.IsTrue(evaluations >= 2, $"expected at least two evaluations:\n{output}");
        StringAssert.Contains(output, "learning curve written to");
        StringAssert.Contains(File.ReadAllText(svg), "<polyline");
        TestContext.AddResultFile(svg);
    }

    [TestMethod]
    public void DecisionTransformerWindowsStreamsCheckedWindows()
    {
        var (exitCode, output) = Run("DecisionTransformerWindows.dll", "--trajectories", "40", "--batches", "100");

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "inserted 40 hopper trajectories");
        StringAssert.Contains(output, "100 batches of 64 × 20-step windows");
        StringAssert.Contains(output, "every return-to-go step checked against its reward");
    }

    private static (int ExitCode, string Output) Run(string dll, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment.Remove("GEAR_TOKENS");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{dll} did not finish within 120 s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
