using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// What sharded sampling could reach with a stream per shard instead of a round of unary calls per batch: one
/// SampleStream per server (batches_in_flight as the other readers), each supplying its fixed share of every
/// batch, the shares joined into one buffer per column (as the client joins shards' replies) and touched. A
/// fixed split rather than the client's multinomial one: the cost of the data path is the point here.
/// </summary>
internal static class RawShardStreamsReader
{
    /// <summary>Reads joined batches into <paramref name="counter"/> until <paramref name="stop"/>; returns the touched sum.</summary>
    public static async Task<double> ReadAsync(IReadOnlyList<Uri> servers, BenchTable table, BatchCounter counter, CancellationToken stop)
    {
        var channels = servers.Select(s => GrpcChannel.ForAddress(s)).ToArray();
        var calls = new AsyncServerStreamingCall<SampleResponse>[servers.Count];
        var stepBytes = table.Columns.Select(c => table.StepBytesOf(c)).ToArray();
        var joined = stepBytes.Select(b => new byte[table.BatchSize * table.WindowLength * b]).ToArray();
        var joinedMask = new byte[table.BatchSize * table.WindowLength];
        double sum = 0;
        try
        {
            for (var s = 0; s < calls.Length; s++)
            {
                // Shard s supplies B / N windows, the first ones the remainder.
                var share = table.BatchSize / calls.Length + (s < table.BatchSize % calls.Length ? 1 : 0);
                var request = new SampleStreamRequest
                {
                    Sample = table.SampleRequest(share),
                    BatchesInFlight = BenchTable.BatchesInFlight,
                };
                calls[s] = channels[s].ServerStreaming(ReplayMethods.SampleStream, request, new CallOptions(CancellationToken: stop));
            }
            var moves = new Task<bool>[calls.Length];
            while (true)
            {
                for (var s = 0; s < calls.Length; s++)
                    moves[s] = calls[s].ResponseStream.MoveNext();
                await Task.WhenAll(moves);
                if (moves.Any(m => !m.Result))
                    break;
                Join(calls, joined, joinedMask);
                for (var c = 0; c < table.Columns.Count; c++)
                {
                    if (table.Columns[c].Dtype == DType.F32)
                        sum += WindowTouch.Sum(joined[c], table.BatchSize);
                }
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
        finally
        {
            foreach (var call in calls)
                call?.Dispose();
            foreach (var channel in channels)
                channel.Dispose();
        }
        return sum;
    }

    private static void Join(AsyncServerStreamingCall<SampleResponse>[] calls, byte[][] joined, byte[] joinedMask)
    {
        for (var c = 0; c < joined.Length; c++)
        {
            var offset = 0;
            foreach (var call in calls)
            {
                var part = call.ResponseStream.Current.Columns[c].Span;
                part.CopyTo(joined[c].AsSpan(offset));
                offset += part.Length;
            }
        }
        var maskOffset = 0;
        foreach (var call in calls)
        {
            var mask = call.ResponseStream.Current.Mask.Span;
            mask.CopyTo(joinedMask.AsSpan(maskOffset));
            maskOffset += mask.Length;
        }
    }
}
