using System.Diagnostics;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// clang-14 (Debian package clang-14, installed by test.sh) and the kernel sources: what the kernel tests need to
/// compile kernels/*.cu without the CUDA toolkit. Tests report Inconclusive where clang-14 is absent.
/// </summary>
internal static class Clang
{
    /// <summary>The kernels/ directory of this checkout.</summary>
    public static string KernelDirectory { get; } = Path.Combine(RepositoryRoot(), "kernels");

    /// <summary>Path of clang-14's C driver, or null when it is not installed.</summary>
    public static string? C { get; } = Find("clang-14");

    /// <summary>Path of clang-14's C++ driver, or null when it is not installed.</summary>
    public static string? Cxx { get; } = Find("clang++-14");

    /// <summary>Marks the test Inconclusive when clang-14 is not installed.</summary>
    public static void Require()
    {
        if (C is null || Cxx is null)
            Assert.Inconclusive("clang-14 is not installed (test.sh installs the Debian package clang-14)");
    }

    /// <summary>Runs <paramref name="compiler"/> with <paramref name="arguments"/>; fails the test with its output when it fails.</summary>
    public static void Run(string compiler, IEnumerable<string> arguments, string what)
    {
        var start = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"{what} failed:\n{errors.Result}{output}");
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gear.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (Gear.sln) is not above the test assembly");
    }
}
