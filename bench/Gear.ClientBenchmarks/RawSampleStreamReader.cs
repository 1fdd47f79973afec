using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// The reference learner: a SampleStream read through Gear.Protocol's GrpcChannel with no SDK in between, as
/// <c>gear bench</c>'s learner reads it (each reply parsed into a SampleResponse), plus the same touch of the
/// float columns the SDK reader does.
/// </summary>
internal static class RawSampleStreamReader
{
    /// <summary>Reads batches into <paramref name="counter"/> until <paramref name="stop"/>; returns the touched sum.</summary>
    public static async Task<double> ReadAsync(Uri server, BenchTable table, BatchCounter counter, CancellationToken stop)
    {
        var request = new SampleStreamRequest
        {
            Sample = table.SampleRequest(table.BatchSize),
            BatchesInFlight = BenchTable.BatchesInFlight,
        };
        var floatColumns = table.FloatColumnIndexes();
        double sum = 0;
        // A channel of its own, as a learner process has: each measurement opens a fresh connection, as the
        // SDK reader's fresh client does.
        using var channel = GrpcChannel.ForAddress(server);
        using var call = channel.ServerStreaming(ReplayMethods.SampleStream, request, new CallOptions(CancellationToken: stop));
        try
        {
            while (await call.ResponseStream.MoveNext())
            {
                var reply = call.ResponseStream.Current;
                if (reply.BatchSize != table.BatchSize || reply.WindowLength != table.WindowLength || reply.Columns.Count != table.Columns.Count)
                    throw new InvalidOperationException(
                        $"asked for {table.BatchSize} windows of {table.WindowLength} steps in {table.Columns.Count} columns, " +
                        $"got {reply.BatchSize} of {reply.WindowLength} in {reply.Columns.Count}");
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
