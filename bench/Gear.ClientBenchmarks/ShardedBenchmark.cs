using Gear.Client;

namespace Gear.ClientBenchmarks;

/// <summary>
/// Aggregate W2 batches per second through one <see cref="GearClient"/> over 1, 2 and 3 local servers: a
/// table of the same name created through the client on every shard and filled through a TrajectoryWriter
/// (the hash ring routes each trajectory), then sampled through <see cref="BatchStream"/>. With one endpoint
/// the stream is the server's (or the data plane); with several it is one SampleStream per shard, each batch
/// split among them by selection mass. Shard counts alternate (1, 2, 3, 1, 2, 3, …), and each round ends with
/// two references: back-to-back raw unary Sample calls of a whole batch to the first server (the round trip of
/// GearClient.SampleAsync over shards), and raw SampleStreams to 2 and 3 servers joined per batch.
/// </summary>
internal static class ShardedBenchmark
{
    public const string Workload = "w2-sharded";

    public const string RawUnary = "raw unary, 1";

    private static string RawStreams(int shards) => $"raw streams, {shards}";

    /// <summary>Measures over the first 1, 2, … servers of <paramref name="servers"/>; adds rows and ratios to the lists.</summary>
    public static async Task RunAsync(
        IReadOnlyList<Uri> servers, ClientBenchOptions options, List<MeasurementRow> rows, List<RatioRow> ratios, TextWriter log, CancellationToken cancellation)
    {
        var paths = new List<(string Path, Func<BatchCounter, CancellationToken, Task<double>> Reader)>();
        BenchTable TableFor(int shards) => BenchTable.W2($"cbench-w2-{shards}shards", options.Scale);
        for (var shards = 1; shards <= servers.Count; shards++)
        {
            var endpoints = servers.Take(shards).ToArray();
            var table = TableFor(shards);
            await FillAsync(endpoints, table, log, cancellation);
            paths.Add((StreamPath(shards), async (counter, stop) =>
            {
                // A client of its own per measurement: fresh connections, as in the overhead measurements.
                using var client = new GearClient(new GearClientOptions { Endpoints = endpoints });
                return await SdkBatchStreamReader.ReadAsync(client, table, counter, stop);
            }));
        }
        paths.Add((RawUnary, (counter, stop) => RawUnarySampleReader.ReadAsync(servers[0], TableFor(1), counter, stop)));
        for (var shards = 2; shards <= servers.Count; shards++)
        {
            // The same servers and table as the SDK's N-shard path.
            var endpoints = servers.Take(shards).ToArray();
            var table = TableFor(shards);
            paths.Add((RawStreams(shards), (counter, stop) => RawShardStreamsReader.ReadAsync(endpoints, table, counter, stop)));
        }

        if (options.Warmup > TimeSpan.Zero)
        {
            foreach (var (_, reader) in paths)
                await Measurement.RunAsync(reader, TimeSpan.Zero, options.Warmup, cancellation);
        }
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var (path, reader) in paths)
            {
                var measured = await Measurement.RunAsync(reader, options.Warmup, options.Duration, cancellation);
                rows.Add(new MeasurementRow(Workload, path, round, measured.BatchesPerSecond, measured.MegabytesPerSecond, measured.ClientCpuMicrosecondsPerBatch));
                await log.WriteLineAsync($"{Workload} {path} round {round}: {measured.BatchesPerSecond:N0} batches/s, {measured.MegabytesPerSecond:N1} MB/s, {measured.ClientCpuMicrosecondsPerBatch:N1} client CPU µs/batch");
            }
        }
        for (var shards = 2; shards <= servers.Count; shards++)
            ratios.Add(RatioRow.Between(rows, Workload, StreamPath(shards), StreamPath(1), bound: null));
        for (var shards = 2; shards <= servers.Count; shards++)
            ratios.Add(RatioRow.Between(rows, Workload, StreamPath(shards), RawUnary, bound: null));
        for (var shards = 2; shards <= servers.Count; shards++)
            ratios.Add(RatioRow.Between(rows, Workload, RawStreams(shards), StreamPath(shards), bound: null));
        for (var shards = 2; shards <= servers.Count; shards++)
            ratios.Add(RatioRow.CpuBetween(rows, Workload, StreamPath(shards), StreamPath(1)));
    }

    private static async Task FillAsync(Uri[] endpoints, BenchTable table, TextWriter log, CancellationToken cancellation)
    {
        using var client = new GearClient(new GearClientOptions { Endpoints = endpoints });
        // The raw reference streams a fixed share from every shard, so every shard must hold steps: a short
        // fill (a few trajectories) can leave one empty by the luck of the hash ring; another spread then.
        for (var salt = 1UL; ; salt++)
        {
            var took = await TableFiller.CreateAndFillAsync(client, table, cancellation, salt);
            var perShard = await Task.WhenAll(endpoints.Select(async endpoint =>
            {
                using var one = new GearClient(endpoint);
                return (await one.GetTableAsync(table.Name, cancellationToken: cancellation)).StoredSteps;
            }));
            if (perShard.Any(steps => steps == 0) && salt < 16)
            {
                await client.DropTableAsync(table.Name, cancellationToken: cancellation);
                continue;
            }
            await log.WriteLineAsync(
                $"filled {table.Name} over {endpoints.Length} server(s): {table.FillSteps:N0} steps in {took.TotalSeconds:F1} s, " +
                $"per shard {string.Join(" + ", perShard.Select(s => s.ToString("N0")))}");
            return;
        }
    }

    private static string StreamPath(int shards) => shards == 1 ? "sdk, 1 shard" : $"sdk, {shards} shards";
}
