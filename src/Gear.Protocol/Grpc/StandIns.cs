// TEMPORARY compile-only stand-ins for the grpc-layer branch; delete at merge.
#pragma warning disable CS1591
using Google.Protobuf;
namespace Gear.Protocol.Grpc;
public enum StatusCode { OK = 0, Cancelled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4, NotFound = 5, AlreadyExists = 6, PermissionDenied = 7, ResourceExhausted = 8, FailedPrecondition = 9, Aborted = 10, OutOfRange = 11, Unimplemented = 12, Internal = 13, Unavailable = 14, DataLoss = 15, Unauthenticated = 16 }
public readonly record struct Status(StatusCode StatusCode, string Detail);
public sealed class RpcException(Status status, Metadata? trailers = null) : Exception(status.Detail)
{ public Status Status => status; public StatusCode StatusCode => status.StatusCode; public Metadata Trailers => trailers ?? new(); }
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    public sealed record Entry(string Key, string? Value, byte[]? ValueBytes);
    private readonly List<Entry> _e = new();
    public void Add(string key, string value) => _e.Add(new(key, value, null));
    public void Add(string key, byte[] value) => _e.Add(new(key, null, value));
    public string? GetValue(string key) => _e.FirstOrDefault(x => x.Key == key)?.Value;
    public byte[]? GetValueBytes(string key) => _e.FirstOrDefault(x => x.Key == key)?.ValueBytes;
    public IEnumerator<Entry> GetEnumerator() => _e.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
public enum MethodType { Unary, ClientStreaming, ServerStreaming, DuplexStreaming }
public sealed class Method<TRequest, TResponse>(MethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
{ public MethodType Type => type; public string ServiceName => serviceName; public string Name => name; public string FullName => $"/{serviceName}/{name}"; public MessageParser<TRequest> RequestParser => requestParser; public MessageParser<TResponse> ResponseParser => responseParser; }
public interface IAsyncStreamReader<T> { T Current { get; } Task<bool> MoveNext(CancellationToken cancellationToken = default); }
public interface IAsyncStreamWriter<T> { Task WriteAsync(T message, CancellationToken cancellationToken = default); }
public interface IClientStreamWriter<T> : IAsyncStreamWriter<T> { Task CompleteAsync(); }
