using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.DataPlane;
using Gear.Server.Grpc;
using Google.Protobuf;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    /// <summary>The transport name of the TCP data plane.</summary>
    public const string TcpTransport = "tcp";

    private TcpDataPlane? _dataPlane;

    /// <summary>Serves OpenDataPlane with <paramref name="dataPlane"/> (without one it answers UNIMPLEMENTED).</summary>
    public void AttachDataPlane(TcpDataPlane dataPlane) => _dataPlane = dataPlane;

    private string[] DataPlaneTransports => _dataPlane is null ? [] : [TcpTransport];

    private string DataPlaneReason => _dataPlane is null
        ? "no data plane on this server; batches travel over SampleStream"
        : $"tcp on {_dataPlane.EndPoint}; {TcpDataPlane.RdmaUnavailableReason}";

    private Task<OpenDataPlaneResponse> OpenDataPlane(OpenDataPlaneRequest request, ServerCallContext context)
    {
        if (_dataPlane is not { } dataPlane)
            throw new RpcException(new Status(StatusCode.Unimplemented, "this server has no data plane; use SampleStream"));
        if (request.Transports.Count > 0 && !request.Transports.Contains(TcpTransport))
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"none of the transports [{string.Join(", ", request.Transports)}] is offered; this server offers tcp ({TcpDataPlane.RdmaUnavailableReason})"));
        var stream = request.Stream ?? throw Invalid("stream is required");
        if (stream.Sample is null)
            throw Invalid("stream.sample is required");
        var core = SampleMapping.ToCore(stream.Sample);
        var inFlight = stream.BatchesInFlight == 0 ? DefaultBatchesInFlight : stream.BatchesInFlight;
        if (inFlight < 1 || inFlight > MaxBatchesInFlight)
            throw Invalid($"batches_in_flight {stream.BatchesInFlight} must be between 1 and {MaxBatchesInFlight} (0 means {DefaultBatchesInFlight})");
        if (stream.MaxBatches < 0)
            throw Invalid($"max_batches {stream.MaxBatches} must not be negative (0 means until cancelled)");
        // Refuse a stream that cannot work now (unknown table, a spec mismatch) here, with a status, rather than on the socket.
        using (var lease = _tables.Lease(stream.Sample.Table))
            SampleMapping.CheckReplySize(lease.Table.Spec.Columns, core, int.MaxValue);
        var session = dataPlane.Grant(stream);
        return Task.FromResult(new OpenDataPlaneResponse
        {
            Transport = TcpTransport,
            Endpoint = dataPlane.EndPoint.ToString(),
            SessionToken = ByteString.CopyFrom(session.Token),
            Session = session.Id,
        });
    }
}
