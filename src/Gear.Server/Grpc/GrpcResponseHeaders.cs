using System.Globalization;
using Gear.Protocol.Grpc;
using Microsoft.AspNetCore.Http;

namespace Gear.Server.Grpc;

/// <summary>Writes the protocol's own response headers.</summary>
internal static class GrpcResponseHeaders
{
    private static readonly string[] StatusCodeTexts = Enumerable.Range(0, 17).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Status 200 and the gRPC content type, set before anything is written.</summary>
    public static void WriteStart(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
    }

    /// <summary>The Trailers-Only form: status and message in the response headers of an empty response.</summary>
    public static void WriteTrailersOnly(HttpResponse response, Status status)
    {
        WriteStart(response);
        response.Headers[GrpcProtocol.StatusHeader] = FormatStatusCode(status.StatusCode);
        if (!string.IsNullOrEmpty(status.Detail))
        {
            response.Headers[GrpcProtocol.MessageHeader] = StatusMessageEncoding.Encode(status.Detail);
        }
    }

    /// <summary>The decimal status code, without allocating for the 17 defined codes.</summary>
    public static string FormatStatusCode(StatusCode code) =>
        (uint)code < (uint)StatusCodeTexts.Length ? StatusCodeTexts[(int)code] : ((int)code).ToString(CultureInfo.InvariantCulture);
}
