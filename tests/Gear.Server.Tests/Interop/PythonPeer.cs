using System.Diagnostics;

namespace Gear.Server.Tests.Interop;

/// <summary>
/// Runs tests/interop/gear_interop.py with Debian's python3 and python3-grpcio (the reference gRPC peer that
/// test.sh installs) against a running server.
/// </summary>
internal static class PythonPeer
{
    /// <summary>The system python, which sees the Debian packages (a pyenv python on PATH does not).</summary>
    internal const string Python = "/usr/bin/python3";

    public static string Script => Path.Combine(RepositoryRoot(), "tests", "interop", "gear_interop.py");

    /// <summary>The Python actor sample.</summary>
    public static string ActorSample => Path.Combine(RepositoryRoot(), "samples", "python-actor", "actor.py");

    /// <summary>Marks the test inconclusive when the reference peer is not installed (test.sh installs it).</summary>
    public static void RequireInstalled()
    {
        if (!File.Exists(Python) || Run(["-c", "import grpc, google.protobuf"], TimeSpan.FromSeconds(30)).ExitCode != 0)
            Assert.Inconclusive("python3-grpcio / python3-protobuf are not installed; ./test.sh installs them");
    }

    /// <summary>Runs the script with <paramref name="arguments"/>; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) RunScenario(params string[] arguments) =>
        Run([Script, .. arguments], TimeSpan.FromSeconds(120));

    /// <summary>Runs the Python actor sample with <paramref name="arguments"/>.</summary>
    public static (int ExitCode, string Output) RunActorSample(params string[] arguments) =>
        Run([ActorSample, .. arguments], TimeSpan.FromSeconds(120));

    private static (int ExitCode, string Output) Run(string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the python peer did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gear.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (Gear.sln) is not above the test assembly");
    }
}
