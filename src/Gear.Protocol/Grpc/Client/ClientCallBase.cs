using System.Diagnostics;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// What every client call shares, whatever carries it (<see cref="ClientCall{TRequest, TResponse}"/> on
/// HttpClient, <see cref="DedicatedStreamingCall{TRequest, TResponse}"/> on a connection of its own): the deadline and
/// cancellation, the single final status that whatever ends the call first sets (trailers, a reset, a
/// transport error, the deadline, cancellation, dispose), the response headers' verdict, and reading messages.
/// Subclasses send the request and say how their transport is torn down (<see cref="TearDown"/>).
/// </summary>
internal abstract class ClientCallBase<TResponse> : IClientCall, IAsyncStreamReader<TResponse>
    where TResponse : class
{
    private static readonly TimeSpan ServerVerdictWait = TimeSpan.FromSeconds(2);

    private readonly TaskCompletionSource<Metadata> _responseHeaders = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _finished; // made only for a caller that waits for the end (a failed write)
    private Status? _status;
    private Metadata _trailers = new();
    private bool _disposed;
    private TResponse? _current;

    protected ClientCallBase(GrpcChannel channel, string path, OwningMessageDecoder<TResponse> decode, CallOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(decode);
        Channel = channel;
        Path = path;
        Decode = decode;
        Options = options;
        Deadline = options.Deadline is { } deadline ? deadline.ToUniversalTime() : DateTime.MaxValue;
        Cancellation = options.CancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken)
            : new CancellationTokenSource();
        CallToken = Cancellation.Token;
        // The linked caller token, or our own deadline timer, fired.
        CallToken.UnsafeRegister(static state =>
        {
            var call = (ClientCallBase<TResponse>)state!;
            call.Finish(CallStatus.ForCallToken(call.Options), new Metadata());
        }, this);
    }

    protected GrpcChannel Channel { get; }

    protected string Path { get; }

    protected OwningMessageDecoder<TResponse> Decode { get; }

    protected CallOptions Options { get; }

    /// <summary>The deadline in UTC; <see cref="DateTime.MaxValue"/> for none.</summary>
    protected DateTime Deadline { get; }

    protected CancellationTokenSource Cancellation { get; }

    /// <summary>Fires when the call ends for any reason but success (and at its deadline).</summary>
    protected CancellationToken CallToken { get; }

    /// <summary>Guards the final status and the subclass's transport handles.</summary>
    protected object Gate { get; } = new();

    /// <summary>The final status, once the call has one.</summary>
    protected Status? FinalStatus => _status;

    /// <summary>Completes when the call has its final status.</summary>
    protected Task Finished
    {
        get
        {
            lock (Gate)
                return _status is not null ? Task.CompletedTask : (_finished ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    protected Metadata FinalTrailers => _trailers;

    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    public Task<Metadata> ResponseHeadersAsync => _responseHeaders.Task;

    public abstract Task<bool> MoveNext(CancellationToken cancellationToken = default);

    /// <summary>
    /// Checks what must hold before anything is sent: the request within the send limit, the deadline not yet
    /// passed (whose timer it then starts). False when the call has already failed.
    /// </summary>
    protected bool TryBegin(IMessage? singleRequest)
    {
        if (singleRequest is not null)
        {
            int size = singleRequest.CalculateSize();
            if (size > Channel.Options.MaxSendMessageSize)
            {
                Finish(new Status(StatusCode.ResourceExhausted,
                    $"Sending request message of {size} bytes exceeds the maximum of {Channel.Options.MaxSendMessageSize} bytes."), new Metadata());
                return false;
            }
        }
        if (Deadline == DateTime.MaxValue) return true;
        TimeSpan remaining = Deadline - DateTime.UtcNow;
        if (remaining <= TimeSpan.Zero)
        {
            Finish(CallStatus.DeadlineExceeded, new Metadata());
            return false;
        }
        // CancelAfter takes at most ~49 days; a deadline beyond that is as good as none locally.
        if (remaining < TimeSpan.FromDays(40)) Cancellation.CancelAfter(remaining);
        return true;
    }

    /// <summary>
    /// Judges the response headers: publishes them, and ends the call when they already carry its end (a
    /// non-200 status from a proxy or non-gRPC server, Trailers-Only, a content type that is not gRPC).
    /// True when a body of messages follows.
    /// </summary>
    protected bool AcceptResponseHeaders(int httpStatus, string? reason, Metadata headers, Status? headerStatus, string? contentType)
    {
        _responseHeaders.TrySetResult(headers);
        if (httpStatus != 200)
        {
            // Synthesize the status the spec's mapping gives.
            Finish(headerStatus ?? new Status(HttpStatusMapping.FromHttpStatus(httpStatus),
                $"Bad gRPC response: HTTP status {httpStatus}{(reason is null ? "" : " " + reason)}."), headers);
            return false;
        }
        if (headerStatus is { } trailersOnly)
        {
            // Trailers-Only: the status came in the only HEADERS frame; there is no body.
            Finish(trailersOnly, headers);
            return false;
        }
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}' is not application/grpc."), headers);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Reads the next message with <paramref name="reader"/>; at the clean end of the body the status comes from
    /// the trailers (<see cref="ReadTrailers"/>, read only then). Failures end the call and throw its status.
    /// </summary>
    protected async Task<bool> ReadNextAsync(StreamMessageReader<TResponse> reader, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((ClientCallBase<TResponse>)state!).CancelByCaller(), this)
            : default;
        try
        {
            TResponse? message = await reader.ReadAsync(CallToken).ConfigureAwait(false);
            if (message is not null)
            {
                _current = message;
                return true;
            }
        }
        catch (RpcException exception)
        {
            throw Fail(exception.Status);
        }
        catch (Exception exception)
        {
            throw Fail(StatusForException(exception), exception);
        }
        (Status? status, Metadata metadata) = ReadTrailers();
        Finish(status ?? new Status(StatusCode.Internal, "The server ended the response without a grpc-status trailer."), metadata);
        return ReturnFinished(_status!.Value);
    }

    /// <summary>
    /// After a failed write: a server that ends a call resets the request stream, and the write can fail before
    /// the server's status is read: a refusal (Trailers-Only, e.g. UNAUTHENTICATED) comes in the response headers,
    /// an end mid-stream (INVALID_ARGUMENT for a bad message) in the trailers, which the caller's reader reaches a
    /// moment later. The server's status is the call's status, so wait briefly for it before blaming the transport.
    /// </summary>
    /// <param name="responseHeaders">Completes (never faults) once the response headers have been judged.</param>
    protected async Task AwaitServerVerdictAsync(Task responseHeaders)
    {
        var waited = Stopwatch.StartNew();
        try
        {
            await responseHeaders.WaitAsync(ServerVerdictWait).ConfigureAwait(false);
            var left = ServerVerdictWait - waited.Elapsed;
            await Finished.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // No answer in time (or nobody reading the trailers): the transport error stands.
        }
    }

    /// <summary>A write to a call that has ended: the call's error, or InvalidOperationException after OK.</summary>
    protected void ThrowIfFinishedForWrite()
    {
        if (FinalStatus is { } status) throw WriteAfterEnd(status, FinalTrailers);
    }

    /// <summary>What a write to a call that ended with <paramref name="status"/> throws.</summary>
    protected static Exception WriteAfterEnd(Status status, Metadata trailers) =>
        status.StatusCode == StatusCode.OK
            ? new InvalidOperationException("The call has already finished.")
            : new RpcException(status, trailers);

    /// <summary>False for a call that ended OK; throws the status of one that did not.</summary>
    protected bool ReturnFinished(Status status) =>
        status.StatusCode == StatusCode.OK ? false : throw new RpcException(status, _trailers);

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished yet.");

    public Metadata GetTrailers() =>
        _status is null ? throw new InvalidOperationException("The call has not finished yet.") : _trailers;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Finish(new Status(StatusCode.Cancelled, "The call was disposed before it finished."), new Metadata());
        OnDisposed();
        Cancellation.Dispose();
    }

    /// <summary>Releases what the transport still holds once the call is disposed (after its end).</summary>
    protected virtual void OnDisposed()
    {
    }

    protected void CancelByCaller() => Finish(CallStatus.CancelledByClient, new Metadata());

    /// <summary>Ends the call with <paramref name="status"/> and returns the exception to throw for its final status.</summary>
    protected RpcException Fail(Status status, Exception? cause = null)
    {
        Finish(status, new Metadata());
        Status final = _status!.Value;
        return cause is null ? new RpcException(final, _trailers) : new RpcException(final, _trailers, cause);
    }

    /// <summary>The status for an exception from the transport: the call's own end if it has one already.</summary>
    protected Status StatusForException(Exception exception)
    {
        if (_status is { } already) return already;
        return CallToken.IsCancellationRequested ? CallStatus.ForCallToken(Options) : CallStatus.ForException(exception, Channel.Address);
    }

    /// <summary>
    /// Sets the final status if none is set yet, then tears the transport down (gracefully after OK); a failure
    /// also fails the response headers if they never came and cancels the call token.
    /// </summary>
    protected void Finish(Status status, Metadata trailers)
    {
        TaskCompletionSource? finished;
        lock (Gate)
        {
            if (_status is not null) return;
            _status = status;
            _trailers = trailers;
            finished = _finished;
        }
        finished?.TrySetResult();
        bool succeeded = status.StatusCode == StatusCode.OK;
        TearDown(succeeded);
        if (succeeded) return;
        if (_responseHeaders.TrySetException(new RpcException(status, trailers)))
        {
            // Callers often never look at the headers of a failed call; do not leave an unobserved exception.
            _ = _responseHeaders.Task.Exception;
        }
        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: nothing left to cancel.
        }
    }

    /// <summary>The status in the trailers (null without <c>grpc-status</c>) and the rest of them as metadata; called once the body has ended cleanly.</summary>
    protected abstract (Status? Status, Metadata Trailers) ReadTrailers();

    /// <summary>
    /// Ends the transport's part once the status is set: after success, lets the request finish and closes;
    /// after a failure, resets the HTTP/2 stream so that the server's handler sees the cancellation.
    /// </summary>
    protected abstract void TearDown(bool succeeded);
}
