using Gear.Client;

namespace Gear.ClientBenchmarks;

/// <summary>
/// What the SDK costs a learner: W2 and W4 batches through <see cref="BatchStream"/> against the raw
/// SampleStream, the same server, table, batch geometry and batches in flight, measured alternately
/// (raw, SDK, raw, SDK, …) after one unrecorded warm-up of each so that drift on a shared machine falls on
/// both paths alike.
/// </summary>
internal static class OverheadBenchmark
{
    /// <summary>The least SDK ÷ raw ratio of batches per second the issue allows (the SDK may cost at most 10 %).</summary>
    public const double Bound = 0.9;

    public const string Raw = "raw";
    public const string Sdk = "sdk";

    /// <summary>Measures both workloads against <paramref name="server"/>; adds rows and ratios to the lists.</summary>
    public static async Task RunAsync(
        Uri server, ClientBenchOptions options, List<MeasurementRow> rows, List<RatioRow> ratios, TextWriter log, CancellationToken cancellation)
    {
        foreach (var (workload, table) in new[] { ("w2-overhead", BenchTable.W2("cbench-w2", options.Scale)), ("w4-overhead", BenchTable.W4("cbench-w4", options.Scale)) })
        {
            using (var client = new GearClient(server))
            {
                var took = await TableFiller.CreateAndFillAsync(client, table, cancellation);
                await log.WriteLineAsync($"filled {table.Name}: {table.FillSteps:N0} steps ({(double)table.FillSteps * table.StepBytes / 1e6:F0} MB) in {took.TotalSeconds:F1} s");
            }

            Func<BatchCounter, CancellationToken, Task<double>> raw = (counter, stop) => RawSampleStreamReader.ReadAsync(server, table, counter, stop);
            Func<BatchCounter, CancellationToken, Task<double>> sdk = async (counter, stop) =>
            {
                // A client of its own per measurement, as the raw reader has a channel of its own.
                using var client = new GearClient(server);
                return await SdkBatchStreamReader.ReadAsync(client, table, counter, stop);
            };

            if (options.Warmup > TimeSpan.Zero)
            {
                // Both paths' code compiled and tiered up before anything is counted.
                await Measurement.RunAsync(raw, TimeSpan.Zero, options.Warmup, cancellation);
                await Measurement.RunAsync(sdk, TimeSpan.Zero, options.Warmup, cancellation);
            }
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var (path, reader) in new[] { (Raw, raw), (Sdk, sdk) })
                {
                    var measured = await Measurement.RunAsync(reader, options.Warmup, options.Duration, cancellation);
                    rows.Add(new MeasurementRow(workload, path, round, measured.BatchesPerSecond, measured.MegabytesPerSecond, measured.ClientCpuMicrosecondsPerBatch));
                    await log.WriteLineAsync($"{workload} {path} round {round}: {measured.BatchesPerSecond:N0} batches/s, {measured.MegabytesPerSecond:N1} MB/s, {measured.ClientCpuMicrosecondsPerBatch:N1} client CPU µs/batch");
                }
            }
            ratios.Add(RatioRow.Between(rows, workload, Sdk, Raw, Bound));
            ratios.Add(RatioRow.CpuBetween(rows, workload, Sdk, Raw));
        }
    }
}
