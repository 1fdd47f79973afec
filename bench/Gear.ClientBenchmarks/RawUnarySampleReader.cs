using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// Back-to-back unary Sample calls of a whole batch to one server through Gear.Protocol's GrpcChannel, each
/// reply touched as the other readers touch theirs. It is the round-trip rate that bounds the client's
/// sharded stream, which makes one round of unary calls (one per shard, in parallel) per batch.
/// </summary>
internal static class RawUnarySampleReader
{
    /// <summary>Reads batches into <paramref name="counter"/> until <paramref name="stop"/>; returns the touched sum.</summary>
    public static async Task<double> ReadAsync(Uri server, BenchTable table, BatchCounter counter, CancellationToken stop)
    {
        var request = new SampleRequest
        {
            Table = table.Name,
            BatchSize = table.BatchSize,
            WindowLength = table.WindowLength,
            Placement = table.Placement,
        };
        var floatColumns = table.Columns.Select((c, i) => (c, i)).Where(x => x.c.Dtype == DType.F32).Select(x => x.i).ToArray();
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
