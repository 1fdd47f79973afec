using Gear.Protocol.Grpc;

namespace Gear.Server.Grpc;

/// <summary>The request stream of a client-streaming or duplex handler, read from Kestrel's request body pipe.</summary>
internal sealed class RequestStreamReader<T> : IAsyncStreamReader<T> where T : class
{
    private static readonly Task<bool> True = Task.FromResult(true);
    private static readonly Task<bool> False = Task.FromResult(false);

    private readonly PipeMessageReader<T> _reader;
    private readonly ServerCallContext _context;
    private T? _current;

    /// <summary>A reader of the call's request body.</summary>
    /// <param name="context">The call.</param>
    /// <param name="decode">Decodes each request.</param>
    /// <param name="requestsBorrowBytes">True when a decoded request may refer to the request body's bytes, which then
    /// stay valid until the next <see cref="MoveNext"/> (see <see cref="PipeMessageReader{T}"/>).</param>
    public RequestStreamReader(ServerCallContext context, MessageDecoder<T> decode, bool requestsBorrowBytes = false)
    {
        _context = context;
        _reader = new PipeMessageReader<T>(
            context.HttpContext.Request.BodyReader, decode, context.MaxReceiveMessageSize, "request", requestsBorrowBytes);
    }

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    public Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled && cancellationToken != _context.CancellationToken)
        {
            return MoveNextLinkedAsync(cancellationToken);
        }
        ValueTask<T?> reading = ReadAsync(_context.CancellationToken);
        if (reading.IsCompletedSuccessfully) return Accept(reading.Result) ? True : False;
        return MoveNextAsync(reading);
    }

    private ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            ValueTask<T?> reading = _reader.ReadAsync(cancellationToken);
            return reading.IsCompleted ? ValueTask.FromResult(reading.GetAwaiter().GetResult()) : WithClientGoneAsync(reading);
        }
        catch (Exception exception) when (IsClientGone(exception))
        {
            throw _context.ClientLeft(exception);
        }
    }

    private async ValueTask<T?> WithClientGoneAsync(ValueTask<T?> reading)
    {
        try
        {
            return await reading.ConfigureAwait(false);
        }
        catch (Exception exception) when (IsClientGone(exception))
        {
            throw _context.ClientLeft(exception);
        }
    }

    // Kestrel fails request-body reads with IOException or ConnectionAbortedException when the client
    // resets the stream or the connection drops, sometimes before RequestAborted has fired. Either way the
    // client is gone, which the spec maps to CANCELLED on the server; it is not a handler bug to log. The
    // context records it and fires the call's token, as RequestAborted would have.
    private static bool IsClientGone(Exception exception) =>
        exception is IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException;

    /// <summary>Reads the one request of a unary or server-streaming call, and checks that no other follows.</summary>
    public async Task<T> ReadSingleAsync()
    {
        T? request = await ReadAsync(_context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Internal, "The request stream ended without a request message."));
        if (await ReadAsync(_context.CancellationToken).ConfigureAwait(false) is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, "More than one request message for a single-request method."));
        }
        return request;
    }

    private async Task<bool> MoveNextAsync(ValueTask<T?> reading) => Accept(await reading.ConfigureAwait(false));

    private async Task<bool> MoveNextLinkedAsync(CancellationToken cancellationToken)
    {
        // The caller's token and the call's (deadline, client reset, shutdown) both stop the read.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _context.CancellationToken);
        return Accept(await ReadAsync(linked.Token).ConfigureAwait(false));
    }

    private bool Accept(T? message)
    {
        if (message is null) return false;
        _current = message;
        return true;
    }
}
