using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Gear.Benchmarks;

/// <summary>
/// Shared settings: allocation measured on every benchmark, and enough iterations for a stable median on a
/// shared 2-core machine without making a full run take hours.
/// </summary>
internal sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(12).WithInvocationCount(16).WithUnrollFactor(1));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
