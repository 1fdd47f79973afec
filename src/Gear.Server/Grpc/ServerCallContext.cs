using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using Gear.Protocol.Grpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Gear.Server.Grpc;

/// <summary>
/// What a handler knows about its call: the method, the caller, request metadata, the deadline, and the token
/// that fires when the call should stop. Also where the handler puts response headers and trailers.
/// </summary>
public sealed class ServerCallContext
{
    private readonly GrpcServerOptions _options;
    private readonly CancellationTokenSource _callCancellation;
    private readonly CancellationTokenSource? _deadlineCancellation;
    private readonly CancellationToken _shutdownToken;
    private Metadata? _requestHeaders;
    private bool _messageWritten;
    private volatile bool _clientLeft;

    internal ServerCallContext(HttpContext httpContext, string method, GrpcServerOptions options, TimeSpan? timeout, CancellationToken shutdownToken)
    {
        HttpContext = httpContext;
        Method = method;
        _options = options;
        _shutdownToken = shutdownToken;
        if (timeout is { } limit)
        {
            Deadline = DateTime.UtcNow + limit;
            // CancelAfter takes at most ~49 days; a longer timeout is as good as none.
            if (limit < TimeSpan.FromDays(40)) _deadlineCancellation = new CancellationTokenSource(limit);
        }
        else
        {
            Deadline = DateTime.MaxValue;
        }
        _callCancellation = _deadlineCancellation is null
            ? CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, shutdownToken)
            : CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, shutdownToken, _deadlineCancellation.Token);
        CancellationToken = _callCancellation.Token;
    }

    /// <summary>The method's path, e.g. <c>/gear.v1.Replay/Sample</c>.</summary>
    public string Method { get; }

    /// <summary>The request metadata (custom headers; protocol headers such as grpc-timeout are left out).</summary>
    public Metadata RequestHeaders => _requestHeaders ??= ReadRequestHeaders(HttpContext.Request.Headers);

    /// <summary>When the client wants the call over (UTC), or <see cref="DateTime.MaxValue"/> if it set no deadline.</summary>
    public DateTime Deadline { get; }

    /// <summary>Fires when the client cancels (RST_STREAM), the deadline passes, or the server shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The caller's address in gRPC's form, e.g. <c>ipv4:127.0.0.1:51234</c>.</summary>
    public string Peer => FormatPeer(HttpContext.Connection.RemoteIpAddress, HttpContext.Connection.RemotePort);

    /// <summary>True when the caller is on this machine (a loopback address).</summary>
    public bool IsLoopback => HttpContext.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    /// <summary>The underlying HTTP request, for what the gRPC view leaves out (TLS client certificate, features).</summary>
    public HttpContext HttpContext { get; }

    /// <summary>Metadata sent in the trailers with the status; handlers add to it.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>Sends the response headers now, with <paramref name="headers"/>. At most once, before the first message.</summary>
    public async Task WriteResponseHeadersAsync(Metadata headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        HttpResponse response = HttpContext.Response;
        if (response.HasStarted || _messageWritten)
        {
            throw new InvalidOperationException("Response headers can only be sent once, before the first response message.");
        }
        foreach (Metadata.Entry entry in headers) response.Headers.Append(entry.Key, entry.WireValue);
        await response.StartAsync(CancellationToken).ConfigureAwait(false);
        await response.BodyWriter.FlushAsync(CancellationToken).ConfigureAwait(false);
    }

    internal bool DeadlineExpired => _deadlineCancellation?.IsCancellationRequested == true;

    internal bool ShutdownRequested => _shutdownToken.IsCancellationRequested;

    /// <summary>True once the client reset the stream or closed the connection, by Kestrel's word or the body's.</summary>
    internal bool ClientGone => _clientLeft || HttpContext.RequestAborted.IsCancellationRequested;

    /// <summary>
    /// Records that the request or response body found the client gone, and fires the call's token. Kestrel
    /// fails the body at once on a reset but cancels RequestAborted later, from the thread pool; a handler
    /// that ended on the body's error first would otherwise finish, and dispose its token, without the token
    /// ever firing. Returns the CANCELLED error for the handler to throw.
    /// </summary>
    internal RpcException ClientLeft(Exception? cause)
    {
        _clientLeft = true;
        _callCancellation.Cancel();
        var status = new Status(StatusCode.Cancelled, "The client reset the stream or closed the connection.");
        return cause is null ? new RpcException(status) : new RpcException(status, null, cause);
    }

    internal int MaxReceiveMessageSize => _options.MaxReceiveMessageSize;

    /// <summary>Frames <paramref name="message"/> into the response body; flushes when streaming.</summary>
    internal ValueTask WriteMessageAsync(IMessage message, bool flush, CancellationToken cancellationToken)
    {
        PipeWriter body = HttpContext.Response.BodyWriter;
        LengthPrefixedMessage.Write(body, message, _options.MaxSendMessageSize, "response");
        _messageWritten = true;
        return flush ? FlushAsync(body, cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>
    /// Frames a message that encodes itself into the response body, synchronously, and flushes it to the client
    /// (the returned task).
    /// </summary>
    internal ValueTask WriteEncodedMessageAsync(IEncodedMessage message, CancellationToken cancellationToken)
    {
        PipeWriter body = HttpContext.Response.BodyWriter;
        LengthPrefixedMessage.Write(body, message, _options.MaxSendMessageSize, "response");
        _messageWritten = true;
        return FlushAsync(body, cancellationToken);
    }

    private ValueTask FlushAsync(PipeWriter body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ValueTask<FlushResult> flushing = body.FlushAsync(CancellationToken.None);
        if (flushing.IsCompletedSuccessfully)
        {
            CheckFlush(flushing.Result, cancellationToken);
            return ValueTask.CompletedTask;
        }
        return AwaitFlushAsync(body, flushing, cancellationToken);
    }

    /// <summary>
    /// Waits for a flush that the client's flow control holds back. Kestrel aborts the stream (RST_STREAM
    /// INTERNAL_ERROR, no status) when a flush is cancelled through its token, which a deadline during a
    /// stream did (found by fuzzing); <see cref="PipeWriter.CancelPendingFlush"/> ends the wait and keeps the
    /// stream, so the status still reaches the client in the trailers.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // a stream of large replies waits here on every message
    private async ValueTask AwaitFlushAsync(PipeWriter body, ValueTask<FlushResult> flushing, CancellationToken cancellationToken)
    {
        await using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static state => ((PipeWriter)state!).CancelPendingFlush(), body);
        CheckFlush(await flushing.ConfigureAwait(false), cancellationToken);
    }

    private void CheckFlush(FlushResult result, CancellationToken cancellationToken)
    {
        if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
        // Completed: Kestrel will take no more response bytes because the client reset the stream or left.
        // Stop the handler rather than let it stream into nothing.
        if (result.IsCompleted) throw ClientLeft(null);
    }

    /// <summary>
    /// Ends the call with <paramref name="status"/>: in the trailers after a response, or, when nothing has been
    /// sent yet, as Trailers-Only (status in the one HEADERS frame, no body).
    /// </summary>
    internal async Task CompleteAsync(Status status, Metadata? extraTrailers)
    {
        HttpResponse response = HttpContext.Response;
        if (!response.HasStarted && !_messageWritten)
        {
            GrpcResponseHeaders.WriteTrailersOnly(response, status);
            AppendMetadata(response.Headers, ResponseTrailers);
            if (extraTrailers is not null) AppendMetadata(response.Headers, extraTrailers);
            return; // Kestrel sends the headers with END_STREAM when the app completes without a body.
        }
        response.AppendTrailer(GrpcProtocol.StatusHeader, GrpcResponseHeaders.FormatStatusCode(status.StatusCode));
        if (!string.IsNullOrEmpty(status.Detail))
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, StatusMessageEncoding.Encode(status.Detail));
        }
        foreach (Metadata.Entry entry in ResponseTrailers) response.AppendTrailer(entry.Key, entry.WireValue);
        if (extraTrailers is not null)
        {
            foreach (Metadata.Entry entry in extraTrailers) response.AppendTrailer(entry.Key, entry.WireValue);
        }
        await response.CompleteAsync().ConfigureAwait(false);
    }

    internal void DisposeCancellation()
    {
        _callCancellation.Dispose();
        _deadlineCancellation?.Dispose();
    }

    private static void AppendMetadata(IHeaderDictionary headers, Metadata metadata)
    {
        foreach (Metadata.Entry entry in metadata) headers.Append(entry.Key, entry.WireValue);
    }

    private static Metadata ReadRequestHeaders(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key)) continue;
            foreach (string? value in header.Value)
            {
                if (value is null) continue;
                try
                {
                    metadata.AddFromWire(header.Key, value);
                }
                catch (FormatException)
                {
                    // A -bin header that is not base64 is dropped; the handler sees the call without it.
                }
            }
        }
        return metadata;
    }

    private static string FormatPeer(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}
