using Gear.Protocol.Grpc;
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
        return AsTask(_context.WriteMessageAsync(message, flush: true, token));
    }

    public ValueTask WriteEncodedAsync(IEncodedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        CancellationToken token = cancellationToken.CanBeCanceled ? cancellationToken : _context.CancellationToken;
        return _context.WriteEncodedMessageAsync(message, token);
    }

    private static Task AsTask(ValueTask writing) => writing.IsCompletedSuccessfully ? Task.CompletedTask : writing.AsTask();
}
