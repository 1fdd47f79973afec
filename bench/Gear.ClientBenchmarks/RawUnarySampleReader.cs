using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// Back-to-back unary Sample calls of a whole batch to one server through Gear.Protocol's GrpcChannel, each
/// reply touched as the other readers touch theirs: the round-trip rate that bounds GearClient.SampleAsync
/// over shards (one round of unary calls per batch; the sharded BatchStream streams from every shard instead).
/// </summary>
internal static class RawUnarySampleReader
{
    /// <summary>Reads batches into <paramref name="counter"/> until <paramref name="stop"/>; returns the touched sum.</summary>
    public static async Task<double> ReadAsync(Uri server, BenchTable table, BatchCounter counter, CancellationToken stop)
    {
        var request = table.SampleRequest(table.BatchSize);
        var floatColumns = table.FloatColumnIndexes();
        double sum = 0;
        using var channel = GrpcChannel.ForAddress(server);
        try
        {
            while (true)
            {
                var reply = await channel.UnaryAsync(ReplayMethods.Sample, request, new CallOptions(CancellationToken: stop));
                if (reply.BatchSize != table.BatchSize || reply.Columns.Count != table.Columns.Count)
                    throw new InvalidOperationException($"asked for {table.BatchSize} windows in {table.Columns.Count} columns, got {reply.BatchSize} in {reply.Columns.Count}");
                foreach (var c in floatColumns)
                    sum += WindowTouch.Sum(reply.Columns[c].Span, reply.BatchSize);
                counter.Add(table.BatchBytes);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
        {
            // The end of the measurement.
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        return sum;
    }
}
