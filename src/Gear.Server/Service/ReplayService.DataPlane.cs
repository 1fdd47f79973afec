using Gear.Protocol.Grpc;
using Gear.Protocol.Rdma;
using Gear.Protocol.V1;
using Gear.Server.DataPlane;
using Gear.Server.Grpc;
using Google.Protobuf;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    /// <summary>The transport name of the TCP data plane.</summary>
    public const string TcpTransport = "tcp";

    /// <summary>The transport name of the RDMA data plane.</summary>
    public const string RdmaTransport = "rdma";

    private TcpDataPlane? _dataPlane;
    private RdmaDataPlane? _rdma;

    /// <summary>
    /// Serves OpenDataPlane with <paramref name="dataPlane"/> (without one it answers UNIMPLEMENTED), and with
    /// <paramref name="rdma"/> where it has a device.
    /// </summary>
    public void AttachDataPlane(TcpDataPlane dataPlane, RdmaDataPlane? rdma = null)
    {
        _dataPlane = dataPlane;
        _rdma = rdma;
    }

    private bool RdmaAvailable => _rdma is { Available: true };

    private string[] DataPlaneTransports => _dataPlane is null ? [] : RdmaAvailable ? [RdmaTransport, TcpTransport] : [TcpTransport];

    /// <summary>What the data plane offers and why (server info and the admin page show it).</summary>
    internal string DataPlaneReason => _dataPlane is null
        ? "no data plane on this server; batches travel over SampleStream"
        : $"tcp on {_dataPlane.EndPoint}; {_rdma?.Reason ?? "rdma unavailable: not enabled on this server; batches travel over tcp"}";

    private Task<OpenDataPlaneResponse> OpenDataPlane(OpenDataPlaneRequest request, ServerCallContext context)
    {
        if (_dataPlane is not { } dataPlane)
            throw new RpcException(new Status(StatusCode.Unimplemented, "this server has no data plane; use SampleStream"));
        var transport = ChooseTransport(request);
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
        long largestFrame;
        using (var lease = _tables.Lease(stream.Sample.Table))
        {
            SampleMapping.CheckReplySize(lease.Table.Spec.Columns, core, int.MaxValue);
            largestFrame = RdmaRingRequest.LargestFrame(lease.Table.Spec, core.BatchSize, core.WindowLength);
        }
        if (transport == RdmaTransport)
            return Task.FromResult(OpenRdma(request, largestFrame));
        var session = dataPlane.Grant(stream);
        return Task.FromResult(new OpenDataPlaneResponse
        {
            Transport = TcpTransport,
            Endpoint = dataPlane.EndPoint.ToString(),
            SessionToken = ByteString.CopyFrom(session.Token),
            Session = session.Id,
        });
    }

    /// <summary>The first of the learner's transports this server can do: rdma only with a device and the learner's ring.</summary>
    private string ChooseTransport(OpenDataPlaneRequest request)
    {
        if (request.Transports.Count == 0)
            return TcpTransport;
        foreach (var transport in request.Transports)
        {
            if (transport == TcpTransport || transport == RdmaTransport && RdmaAvailable && request.RdmaRing is not null)
                return transport;
        }
        throw new RpcException(new Status(StatusCode.FailedPrecondition,
            $"none of the transports [{string.Join(", ", request.Transports)}] is offered; {DataPlaneReason}"));
    }

    private OpenDataPlaneResponse OpenRdma(OpenDataPlaneRequest request, long largestFrame)
    {
        var (ring, learner) = RdmaRingRequest.Parse(request.RdmaRing, largestFrame);
        // The learner's slots are its credits: a ring larger than batches_in_flight is what the learner asked for.
        (ulong Session, RdmaPeerAddress Server) started;
        try
        {
            started = _rdma!.Start(request.Stream, ring, learner);
        }
        catch (VerbsException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"rdma: {e.Message}"));
        }
        return new OpenDataPlaneResponse
        {
            Transport = RdmaTransport,
            Session = started.Session,
            RdmaQueuePair = started.Server.ToWire(),
        };
    }
}
