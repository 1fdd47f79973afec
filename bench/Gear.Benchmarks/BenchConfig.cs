using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;

namespace Gear.Benchmarks;

/// <summary>
/// Shared settings: allocation measured on every benchmark, and iterations long enough (250 ms) that the
/// warm-up outlasts tiered compilation's delay: with short iterations the measured code was still the
/// unoptimized first tier (four times slower on W2).
/// </summary>
internal sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(10).WithIterationTime(TimeInterval.FromMilliseconds(250)));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
