using Google.Protobuf;

namespace Gear.Server.Grpc;

/// <summary>The response stream of a server-streaming or duplex handler; flushes each message to the client.</summary>
internal sealed class ResponseStreamWriter<T> : IServerStreamWriter<T> where T : class, IMessage<T>
{
    private readonly ServerCallContext _context;

    public ResponseStreamWriter(ServerCallContext context) => _context = context;

    public Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        CancellationToken token = cancellationToken.CanBeCanceled ? cancellationToken : _context.CancellationToken;
        ValueTask writing = _context.WriteMessageAsync(message, flush: true, token);
        return writing.IsCompletedSuccessfully ? Task.CompletedTask : writing.AsTask();
    }
}
