using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>Translates sample requests from the wire into Core and gathered batches back onto the wire.</summary>
internal static class SampleMapping
{
    /// <summary>Protobuf bytes per window besides the step data: key, trajectory key, start, probability, weight.</summary>
    private const int WindowOverheadBytes = 64;

    /// <summary>The Core request for a wire request, with the wire's defaults.</summary>
    /// <exception cref="GearException">InvalidArgument naming the field.</exception>
    public static SampleRequest ToCore(Wire.SampleRequest request)
    {
        var core = new SampleRequest(
            request.BatchSize,
            request.WindowLength,
            request.Placement switch
            {
                Wire.WindowPlacement.Unspecified or Wire.WindowPlacement.Uniform => WindowPlacement.Uniform,
                Wire.WindowPlacement.End => WindowPlacement.EndAnchored,
                Wire.WindowPlacement.Start => WindowPlacement.StartAnchored,
                _ => throw Invalid($"placement {(int)request.Placement} is not a known window placement"),
            },
            request.ImportanceExponent,
            request.Padding switch
            {
                Wire.PaddingSide.Unspecified or Wire.PaddingSide.Tail => PaddingSide.Tail,
                Wire.PaddingSide.Head => PaddingSide.Head,
                _ => throw Invalid($"padding {(int)request.Padding} is not a known padding side"),
            });
        core.Validate();
        return core;
    }

    /// <summary>
    /// Refuses a request whose reply would exceed the largest message the server sends, before any memory is
    /// set aside for it.
    /// </summary>
    public static void CheckReplySize(IReadOnlyList<ColumnSpec> columns, in SampleRequest request, int maxSendMessageBytes)
    {
        var steps = (long)request.BatchSize * request.WindowLength;
        var bytes = steps + (long)request.BatchSize * WindowOverheadBytes;
        foreach (var column in columns)
            bytes += steps * column.StepBytes;
        if (bytes > maxSendMessageBytes)
            throw Invalid(
                $"batch_size {request.BatchSize} × window_length {request.WindowLength} needs a reply of about {bytes} bytes, " +
                $"more than the server's max_send_message_bytes {maxSendMessageBytes}; ask for fewer or shorter windows");
    }

    /// <summary>
    /// The wire reply of a unary Sample for the windows gathered into <paramref name="buffer"/>, with the bytes
    /// copied: the reply is written after the handler returns, when the buffer is back in the pool. Streams
    /// write their replies with <see cref="SampleReplyEncoder"/> instead, straight from the table's pages.
    /// </summary>
    public static Wire.SampleResponse ToWire(GatherBuffer buffer)
    {
        var batch = buffer.Batch;
        var reply = new Wire.SampleResponse
        {
            BatchSize = batch.Count,
            WindowLength = batch.WindowLength,
            Mask = ByteString.CopyFrom(buffer.Mask.Span),
            ItemCount = batch.ItemCount,
            SelectionMass = batch.SelectionMass,
        };
        for (var c = 0; c < batch.Columns.Count; c++)
            reply.Columns.Add(ByteString.CopyFrom(buffer.Column(c).Span));
        SetWindowMetadata(reply, batch);
        return reply;
    }

    /// <summary>
    /// Sets <paramref name="reply"/>'s per-window fields (keys, trajectory keys, start steps, probabilities,
    /// importance weights) to <paramref name="batch"/>'s. A reply reused per batch keeps its arrays once they are
    /// large enough.
    /// </summary>
    public static void SetWindowMetadata(Wire.SampleResponse reply, WindowBatch batch)
    {
        var count = batch.Count;
        Refill(reply.Keys, batch.Keys, count);
        Refill(reply.TrajectoryKeys, batch.TrajectoryKeys, count);
        Refill(reply.StartSteps, batch.StartSteps, count);
        Refill(reply.Probabilities, batch.Probabilities, count);
        Refill(reply.ImportanceWeights, batch.ImportanceWeights, count);
    }

    private static void Refill<T>(RepeatedField<T> field, ReadOnlySpan<T> values, int count)
    {
        field.Clear();
        if (field.Capacity < count)
            field.Capacity = count;
        for (var i = 0; i < count; i++)
            field.Add(values[i]);
    }

    private static GearException Invalid(string message) => new(GearErrorCode.InvalidArgument, message);
}
