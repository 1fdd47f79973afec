using System.Globalization;
using System.Net.Http;
using System.Security.Authentication;
using Gear.Protocol.Grpc.Http2;

namespace Gear.Protocol.Grpc;

/// <summary>How both kinds of client call turn what ended them into a status, and headers into status and metadata.</summary>
internal static class CallStatus
{
    public static Status CancelledByClient => new(StatusCode.Cancelled, "The call was cancelled by the client.");

    public static Status DeadlineExceeded => new(StatusCode.DeadlineExceeded, "Deadline exceeded.");

    /// <summary>The status of a call whose own token fired: the caller's cancellation, or else the deadline.</summary>
    public static Status ForCallToken(CallOptions options) =>
        options.CancellationToken.IsCancellationRequested ? CancelledByClient : DeadlineExceeded;

    /// <summary>The status for a transport failure talking to <paramref name="address"/>.</summary>
    public static Status ForException(Exception exception, Uri address)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case HttpProtocolException { ErrorCode: 0 } closed:
                    // NO_ERROR before the call's trailers. SocketsHttpHandler reports a server's graceful close this way
                    // (GOAWAY, then the connection closed under streams it had not taken), with nothing to tell it from
                    // a stream reset; and a server that resets an unfinished call with NO_ERROR is going away too.
                    // Either way the call did not run to its end, and a try elsewhere or later may work.
                    return new Status(StatusCode.Unavailable, $"{address} closed the stream before the call ended: {closed.Message}");
                case HttpProtocolException protocol:
                    return new Status(HttpStatusMapping.FromHttp2ErrorCode(protocol.ErrorCode),
                        $"The HTTP/2 stream was reset (error code {protocol.ErrorCode}): {protocol.Message}");
                case Http2StreamResetException reset:
                    return new Status(HttpStatusMapping.FromHttp2ErrorCode(reset.ErrorCode), reset.Message);
                case Http2ProtocolException broken:
                    return new Status(StatusCode.Internal, $"HTTP/2 protocol error from {address} ({broken.Code}): {broken.Message}");
            }
        }
        return exception switch
        {
            HttpRequestException or IOException or AuthenticationException or System.Net.Sockets.SocketException =>
                new Status(StatusCode.Unavailable, $"Error talking to {address}: {exception.Message}"),
            OperationCanceledException => new Status(StatusCode.Cancelled, "The call was cancelled."),
            _ => new Status(StatusCode.Internal, $"Unexpected client error: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    /// <summary>The status carried by <c>grpc-status</c> and <c>grpc-message</c>; null without <c>grpc-status</c>.</summary>
    public static Status? FromHeaders(string? statusText, string? messageText)
    {
        if (statusText is null) return null;
        StatusCode code = int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? (StatusCode)value
            : StatusCode.Unknown;
        if (code < StatusCode.OK || code > StatusCode.Unauthenticated) code = StatusCode.Unknown;
        return new Status(code, messageText is null ? string.Empty : StatusMessageEncoding.Decode(messageText));
    }

    /// <summary>Adds a received header to <paramref name="metadata"/> unless gRPC or HTTP reserves it.</summary>
    public static void AddMetadata(Metadata metadata, string name, string value)
    {
        if (GrpcProtocol.IsReservedHeader(name)) return;
        try
        {
            metadata.AddFromWire(name, value);
        }
        catch (FormatException)
        {
            // A -bin value that is not base64: drop that entry rather than fail a call that worked.
        }
    }
}
