using Gear.Client;

namespace Gear.ClientBenchmarks;

/// <summary>
/// Aggregate W2 batches per second through one <see cref="GearClient"/> over 1, 2 and 3 local servers: a
/// table of the same name created through the client on every shard and filled through a TrajectoryWriter
/// (the hash ring routes each trajectory), then sampled through <see cref="BatchStream"/>. With one endpoint
/// the stream is the server's SampleStream; with several it is the client's prefetch of mass-weighted unary
/// Sample calls to every shard, joined into one batch. Shard counts alternate (1, 2, 3, 1, 2, 3, …).
/// </summary>
internal static class ShardedBenchmark
{
    public const string Workload = "w2-sharded";

    /// <summary>Measures over the first 1, 2, … servers of <paramref name="servers"/>; adds rows and ratios to the lists.</summary>
    public static async Task RunAsync(
        IReadOnlyList<Uri> servers, ClientBenchOptions options, List<MeasurementRow> rows, List<RatioRow> ratios, TextWriter log, CancellationToken cancellation)
    {
        var setups = new List<(string Path, Uri[] Endpoints, BenchTable Table)>();
        for (var shards = 1; shards <= servers.Count; shards++)
        {
            var endpoints = servers.Take(shards).ToArray();
            var table = BenchTable.W2($"cbench-w2-{shards}shards", options.Scale);
            using (var client = new GearClient(new GearClientOptions { Endpoints = endpoints }))
            {
                var took = await TableFiller.CreateAndFillAsync(client, table, cancellation);
                var perShard = await Task.WhenAll(endpoints.Select(async e =>
                {
                    using var one = new GearClient(e);
                    return (await one.GetTableAsync(table.Name, cancellationToken: cancellation)).StoredSteps;
                }));
                await log.WriteLineAsync($"filled {table.Name} over {shards} server(s): {table.FillSteps:N0} steps in {took.TotalSeconds:F1} s, per shard {string.Join(" + ", perShard.Select(s => s.ToString("N0")))}");
            }
            setups.Add((PathName(shards), endpoints, table));
        }

        Func<BatchCounter, CancellationToken, Task<double>> Reader(Uri[] endpoints, BenchTable table) => async (counter, stop) =>
        {
            using var client = new GearClient(new GearClientOptions { Endpoints = endpoints });
            return await SdkBatchStreamReader.ReadAsync(client, table, counter, stop);
        };

        if (options.Warmup > TimeSpan.Zero)
        {
            foreach (var (_, endpoints, table) in setups)
                await Measurement.RunAsync(Reader(endpoints, table), TimeSpan.Zero, options.Warmup, cancellation);
        }
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var (path, endpoints, table) in setups)
            {
                var measured = await Measurement.RunAsync(Reader(endpoints, table), options.Warmup, options.Duration, cancellation);
                rows.Add(new MeasurementRow(Workload, path, round, measured.BatchesPerSecond, measured.MegabytesPerSecond));
                await log.WriteLineAsync($"{Workload} {path} round {round}: {measured.BatchesPerSecond:N0} batches/s, {measured.MegabytesPerSecond:N1} MB/s");
            }
        }
        foreach (var (path, _, _) in setups.Skip(1))
            ratios.Add(RatioRow.Between(rows, Workload, path, setups[0].Path, bound: null));
    }

    private static string PathName(int shards) => shards == 1 ? "sdk, 1 shard" : $"sdk, {shards} shards";
}
