using BenchmarkDotNet.Running;

namespace Gear.Benchmarks;

/// <summary>Runs the BenchmarkDotNet suites: `dotnet run -c Release --project bench/Gear.Benchmarks -- --filter '*'`.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
