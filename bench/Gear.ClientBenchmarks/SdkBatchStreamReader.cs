using Gear.Client;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// The SDK learner: <see cref="GearClient.OpenBatchStreamAsync"/> enumerated with <c>await foreach</c>, the
/// float columns read through <see cref="SampleBatch.Column{T}(string)"/> and touched as the raw reader
/// touches them, and every batch disposed, as the Gear.Client README's learner loop does.
/// </summary>
internal static class SdkBatchStreamReader
{
    /// <summary>Reads batches into <paramref name="counter"/> until <paramref name="stop"/>; returns the touched sum.</summary>
    public static async Task<double> ReadAsync(GearClient client, BenchTable table, BatchCounter counter, CancellationToken stop)
    {
        var options = new SampleOptions(table.Name)
        {
            BatchSize = table.BatchSize,
            WindowLength = table.WindowLength,
            Placement = table.Placement,
            BatchesInFlight = BenchTable.BatchesInFlight,
        };
        var floatColumns = table.Columns.Where(c => c.Dtype == DType.F32).Select(c => c.Name).ToArray();
        var batchBytes = table.BatchBytes;
        double sum = 0;
        try
        {
            await using var stream = await client.OpenBatchStreamAsync(options, stop);
            await foreach (var batch in stream.WithCancellation(stop))
            {
                using (batch)
                {
                    if (batch.BatchSize != table.BatchSize || batch.WindowLength != table.WindowLength)
                        throw new InvalidOperationException(
                            $"asked for {table.BatchSize} windows of {table.WindowLength} steps, got {batch.BatchSize} of {batch.WindowLength}");
                    foreach (var name in floatColumns)
                        sum += WindowTouch.Sum(batch.Column<float>(name), batch.BatchSize);
                    counter.Add(batchBytes);
                }
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
