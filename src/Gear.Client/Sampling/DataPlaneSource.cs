using System.Net.Sockets;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Batches from one server's data plane, negotiated with OpenDataPlane: over RDMA where both sides have a
/// usable device (the learner offers its ring first), otherwise over TCP. Where the server has no data
/// plane (UNIMPLEMENTED, FAILED_PRECONDITION) or its endpoint cannot be reached, the stream falls back to
/// <see cref="SampleStreamSource"/> for good. A connection that breaks mid-stream is replaced by a new session
/// (a new OpenDataPlane), with backoff; the batch count carries over.
/// </summary>
internal sealed class DataPlaneSource(ShardConnection shard, SampleOptions options, SampleBatchAssembler assembler) : IBatchSource
{
    private IBatchSource? _fallback;
    private IDataPlaneConnection? _connection;
    private string? _rdmaUnavailable;
    private long _delivered;
    private int _opened;

    /// <summary>Whether a stream with <paramref name="options"/> to <paramref name="shard"/> may try the data plane.</summary>
    public static bool Usable(ShardConnection shard, SampleOptions options) =>
        options.UseDataPlane && shard.Endpoint.Scheme == Uri.UriSchemeHttp;

    /// <summary>Whether the stream fell back to SampleStream (for tests and diagnostics).</summary>
    internal bool FellBack => _fallback is not null;

    /// <summary>The transport of the current session ("rdma" or "tcp"; null before the first or after falling back).</summary>
    internal string? Transport => _connection switch
    {
        RdmaDataPlaneConnection => "rdma",
        DataPlaneConnection => "tcp",
        _ => null,
    };

    /// <summary>Why this stream does not offer rdma (null until it tried, or when it does).</summary>
    internal string? RdmaUnavailableReason => _rdmaUnavailable;

    public async ValueTask<SampleBatch?> NextAsync(CancellationToken cancellationToken)
    {
        if (_fallback is not null)
            return await _fallback.NextAsync(cancellationToken).ConfigureAwait(false);
        for (var retry = 0; ; )
        {
            if (options.MaxBatches > 0 && _delivered >= options.MaxBatches)
                return null;
            try
            {
                _connection ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
                if (_connection is null)
                    return await _fallback!.NextAsync(cancellationToken).ConfigureAwait(false);
                if (await _connection.ReadAsync(assembler, options.BatchSize, options.WindowLength, cancellationToken).ConfigureAwait(false) is not { } frame)
                    return null;
                var batch = assembler.FromFrame(frame.Header, frame.Payload, shard.Index);
                batch.Sequence = _delivered++;
                if (options.MaxBatches > 0 && _delivered >= options.MaxBatches)
                {
                    // The last batch: close now rather than at dispose, so the server frees the session at once.
                    _connection.Dispose();
                    _connection = null;
                }
                return batch;
            }
            catch (Exception e) when (e is IOException or SocketException || e is RpcException rpc && RetryPolicy.IsRetryable(rpc.StatusCode))
            {
                _connection?.Dispose();
                _connection = null;
                if (!await shard.BackOffAsync(++retry, deadline: null, cancellationToken).ConfigureAwait(false))
                    throw e as RpcException ?? new RpcException(new Status(StatusCode.Unavailable, $"data plane of {shard.Endpoint}: {e.Message}"), null, e);
            }
        }
    }

    /// <summary>A new session's connection, or null after falling back to SampleStream.</summary>
    private async Task<IDataPlaneConnection?> OpenAsync(CancellationToken cancellationToken)
    {
        var request = new OpenDataPlaneRequest { Stream = options.ToStreamRequest(_delivered, _opened++) };
        var rdma = PrepareRdma();
        if (rdma is not null)
        {
            request.Transports.Add("rdma");
            request.RdmaRing = rdma.Offer;
        }
        request.Transports.Add("tcp");
        try
        {
            OpenDataPlaneResponse grant;
            try
            {
                grant = await shard.UnaryAsync(ReplayMethods.OpenDataPlane, request, retryable: true, timeout: null, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unimplemented or StatusCode.FailedPrecondition)
            {
                return FallBack();
            }
            if (grant.Transport == "rdma" && rdma is not null)
            {
                rdma.Connect(grant);
                var connected = rdma;
                rdma = null;
                return connected;
            }
            if (grant.Transport != "tcp")
                return FallBack();
            try
            {
                return await DataPlaneConnection.ConnectAsync(grant, shard.Endpoint, assembler.Layout.Columns.Count, options.BatchesInFlight, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (_delivered == 0 && e is SocketException or FormatException)
            {
                // The endpoint is unreachable from here (a firewall, a NAT): gRPC reached the server, so use it.
                return FallBack();
            }
        }
        finally
        {
            rdma?.Dispose();
        }
    }

    /// <summary>A ring to offer, or null (and, once, why not) where this learner has no usable RDMA device.</summary>
    private RdmaDataPlaneConnection? PrepareRdma()
    {
        if (_rdmaUnavailable is not null)
            return null;
        var ring = RdmaDataPlaneConnection.TryPrepare(shard.ClientOptions.RdmaVerbs, assembler.Layout, options, shard.ClientOptions.RdmaProbeInterval, out var reason);
        if (ring is null)
            _rdmaUnavailable = reason;
        return ring;
    }

    /// <summary>Goes on over SampleStream for good, from the batch and the opening this stream has reached.</summary>
    private IDataPlaneConnection? FallBack()
    {
        _fallback = new SampleStreamSource(shard, options, assembler, _delivered, _opened);
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _connection?.Dispose();
        _connection = null;
        if (_fallback is not null)
            await _fallback.DisposeAsync().ConfigureAwait(false);
    }
}
