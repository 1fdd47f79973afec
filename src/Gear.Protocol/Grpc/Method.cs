using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>Describes one RPC method: its kind, its name on the wire and how to parse its messages.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    /// <summary>Describes a method.</summary>
    /// <param name="type">The kind of call.</param>
    /// <param name="serviceName">The fully qualified service name, e.g. <c>gear.v1.Replay</c>.</param>
    /// <param name="name">The method name, e.g. <c>Sample</c>.</param>
    /// <param name="requestParser">Parses request messages.</param>
    /// <param name="responseParser">Parses response messages.</param>
    public Method(MethodType type, string serviceName, string name,
        MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(responseParser);
        Type = type;
        ServiceName = serviceName;
        Name = name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
        RequestDecoder = MessageDecoders.From(requestParser, "request");
        ResponseDecoder = MessageDecoders.From(responseParser, "response");
        OwningResponseDecoder = MessageDecoders.Owning(ResponseDecoder);
        FullName = "/" + serviceName + "/" + name;
    }

    /// <summary>The kind of call.</summary>
    public MethodType Type { get; }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>The method name.</summary>
    public string Name { get; }

    /// <summary>The HTTP/2 <c>:path</c> of the method: <c>/service/method</c>.</summary>
    public string FullName { get; }

    /// <summary>Parses request messages.</summary>
    public MessageParser<TRequest> RequestParser { get; }

    /// <summary>Parses response messages.</summary>
    public MessageParser<TResponse> ResponseParser { get; }

    /// <summary>Decodes a request with <see cref="RequestParser"/> (made once, shared by every call).</summary>
    public MessageDecoder<TRequest> RequestDecoder { get; }

    /// <summary>Decodes a response with <see cref="ResponseParser"/> (made once, shared by every call).</summary>
    public MessageDecoder<TResponse> ResponseDecoder { get; }

    /// <summary><see cref="ResponseDecoder"/> for responses read into pooled arrays, which it gives back (made once).</summary>
    public OwningMessageDecoder<TResponse> OwningResponseDecoder { get; }
}
