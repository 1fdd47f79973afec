using System.Net;
using System.Net.Http.Headers;

namespace Gear.Server.Tests.Grpc;

/// <summary>
/// Sends hand-made HTTP/2 requests to a gRPC server (malformed frames, wrong content types, odd headers),
/// bypassing GrpcChannel, and returns what came back: status, headers, body bytes and trailers.
/// </summary>
public sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _address;

    public RawGrpcClient(Uri address)
    {
        _address = address;
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>POSTs <paramref name="body"/> to <paramref name="path"/> over HTTP/2 (prior knowledge).</summary>
    public Task<RawResponse> PostAsync(string path, byte[] body, string contentType = "application/grpc",
        IEnumerable<KeyValuePair<string, string>>? headers = null, Version? version = null) =>
        SendAsync(path, new ByteArrayContent(body), contentType, headers, version);

    /// <summary>POSTs a body that sends <paramref name="prefix"/> and then stays open until the response ends.</summary>
    public Task<RawResponse> PostOpenEndedAsync(string path, byte[] prefix) =>
        SendAsync(path, new OpenEndedContent(prefix), "application/grpc", null, null);

    private async Task<RawResponse> SendAsync(string path, HttpContent content, string contentType,
        IEnumerable<KeyValuePair<string, string>>? headers, Version? version)
    {
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_address, path))
        {
            Version = version ?? HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (headers is not null)
        {
            foreach (KeyValuePair<string, string> header in headers) request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        byte[] responseBody = await response.Content.ReadAsByteArrayAsync();
        return new RawResponse(
            (int)response.StatusCode,
            response.Version,
            ToDictionary(response.Headers, response.Content.Headers),
            responseBody,
            ToDictionary(response.TrailingHeaders));
    }

    private static Dictionary<string, string> ToDictionary(params HttpHeaders[] sources)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (HttpHeaders headers in sources)
        {
            foreach (KeyValuePair<string, HeaderStringValues> header in headers.NonValidated) result[header.Key] = header.Value.ToString();
        }
        return result;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>A request body that never ends on its own: the server must answer without waiting for it.</summary>
    private sealed class OpenEndedContent(byte[] prefix) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(prefix, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}

/// <summary>What a raw request got back.</summary>
public sealed record RawResponse(int HttpStatus, Version Version, Dictionary<string, string> Headers, byte[] Body, Dictionary<string, string> Trailers)
{
    /// <summary>grpc-status from the trailers, or from the headers for a Trailers-Only response.</summary>
    public string? GrpcStatus => Trailers.TryGetValue("grpc-status", out string? s) ? s : Headers.GetValueOrDefault("grpc-status");

    /// <summary>grpc-message (still percent-encoded) from the trailers or headers.</summary>
    public string? GrpcMessage => Trailers.TryGetValue("grpc-message", out string? s) ? s : Headers.GetValueOrDefault("grpc-message");
}
