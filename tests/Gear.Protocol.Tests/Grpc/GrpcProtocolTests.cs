using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Protocol.Tests.Grpc;

[TestClass]
public sealed class GrpcProtocolTests
{
    [DataTestMethod]
    [DataRow("application/grpc", true)]
    [DataRow("application/grpc+proto", true)]
    [DataRow("APPLICATION/GRPC", true)]
    [DataRow("application/grpc; charset=utf-8", true)]
    [DataRow("application/grpc-web", false)]
    [DataRow("application/grpcx", false)]
    [DataRow("application/json", false)]
    [DataRow(null, false)]
    public void RecognizesGrpcContentTypes(string? contentType, bool expected)
    {
        Assert.AreEqual(expected, GrpcProtocol.IsGrpcContentType(contentType));
    }

    [DataTestMethod]
    [DataRow(400, StatusCode.Internal)]
    [DataRow(401, StatusCode.Unauthenticated)]
    [DataRow(403, StatusCode.PermissionDenied)]
    [DataRow(404, StatusCode.Unimplemented)]
    [DataRow(429, StatusCode.Unavailable)]
    [DataRow(502, StatusCode.Unavailable)]
    [DataRow(503, StatusCode.Unavailable)]
    [DataRow(504, StatusCode.Unavailable)]
    [DataRow(415, StatusCode.Unknown)]
    [DataRow(500, StatusCode.Unknown)]
    public void MapsHttpStatusesPerTheSpec(int http, StatusCode expected)
    {
        Assert.AreEqual(expected, HttpStatusMapping.FromHttpStatus(http));
    }

    [DataTestMethod]
    [DataRow(0L, StatusCode.Internal)]
    [DataRow(2L, StatusCode.Internal)]
    [DataRow(7L, StatusCode.Unavailable)]
    [DataRow(8L, StatusCode.Cancelled)]
    [DataRow(11L, StatusCode.ResourceExhausted)]
    [DataRow(12L, StatusCode.PermissionDenied)]
    public void MapsResetCodesPerTheSpec(long code, StatusCode expected)
    {
        Assert.AreEqual(expected, HttpStatusMapping.FromHttp2ErrorCode(code));
    }

    /// <summary>
    /// SocketsHttpHandler's report of a server closing gracefully under a call (NO_ERROR, as from a shutting-down
    /// shard) is UNAVAILABLE, which a sharded writer fails over on; other protocol errors keep the spec's mapping.
    /// </summary>
    [DataTestMethod]
    [DataRow(0L, StatusCode.Unavailable)]
    [DataRow(2L, StatusCode.Internal)]
    [DataRow(8L, StatusCode.Cancelled)]
    public void AProtocolErrorFromTheHandlerMapsByItsCode(long code, StatusCode expected)
    {
        var error = new HttpRequestException("send failed", new HttpProtocolException(code, "The HTTP/2 server closed the connection.", null));
        var status = CallStatus.ForException(error, new Uri("http://127.0.0.1:1/"));
        Assert.AreEqual(expected, status.StatusCode, status.Detail);
    }

    [TestMethod]
    public void MethodFullNameIsTheHttp2Path()
    {
        var method = new Method<SampleRequest, SampleResponse>(MethodType.Unary, "gear.v1.Replay", "Sample", SampleRequest.Parser, SampleResponse.Parser);

        Assert.AreEqual("/gear.v1.Replay/Sample", method.FullName);
    }

    [TestMethod]
    public void RpcExceptionMessageNamesCodeAndDetail()
    {
        var error = new RpcException(new Status(StatusCode.NotFound, "no table 'x'"));

        StringAssert.Contains(error.Message, "NotFound");
        StringAssert.Contains(error.Message, "no table 'x'");
        Assert.AreEqual(0, error.Trailers.Count);
    }
}
