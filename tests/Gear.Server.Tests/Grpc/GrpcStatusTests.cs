using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Tests.Protos;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Tests.Grpc;

/// <summary>Statuses, trailers, Trailers-Only, and how handler failures become statuses.</summary>
[TestClass]
public sealed class GrpcStatusTests
{
    private static readonly Method<EchoRequest, EchoResponse> Throws =
        new(MethodType.Unary, "gear.test.Faulty", "Throws", EchoRequest.Parser, EchoResponse.Parser);

    private static readonly Method<EchoRequest, EchoResponse> Mapped =
        new(MethodType.Unary, "gear.test.Faulty", "Mapped", EchoRequest.Parser, EchoResponse.Parser);

    private static readonly Method<EchoRequest, EchoResponse> Guarded =
        new(MethodType.Unary, "gear.test.Faulty", "Guarded", EchoRequest.Parser, EchoResponse.Parser);

    private static readonly Method<EchoRequest, EchoResponse> GuardedDuplex =
        new(MethodType.DuplexStreaming, "gear.test.Faulty", "GuardedDuplex", EchoRequest.Parser, EchoResponse.Parser);

    private static EchoFixture _echo = null!;
    private static int _guardedRuns;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _echo = await EchoFixture.StartAsync(options =>
        {
            options.ExceptionMapper = e => e is KeyNotFoundException ? new Status(StatusCode.NotFound, e.Message) : null;
            options.Interceptor = context =>
                (context.Method == Guarded.FullName || context.Method == GuardedDuplex.FullName)
                && context.RequestHeaders.GetValue("authorization") != "Bearer good"
                    ? throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or bad token"))
                    : ValueTask.CompletedTask;
        }, host =>
        {
            host.AddUnary(Throws, (_, _) => throw new InvalidOperationException("secret internal detail"));
            host.AddUnary(Mapped, (_, _) => throw new KeyNotFoundException("table 'x' does not exist"));
            host.AddDuplexStreaming(GuardedDuplex, (_, _, _) => Task.CompletedTask);
            host.AddUnary(Guarded, (_, _) =>
            {
                Interlocked.Increment(ref _guardedRuns);
                return Task.FromResult(new EchoResponse());
            });
        });
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _echo.DisposeAsync();

    [TestMethod]
    public async Task StatusAndNonAsciiDetailRoundTrip()
    {
        const string detail = "table 'Größe' 100% full; 表 is 満杯\nline two\t!";
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = detail, FailCode = (int)StatusCode.FailedPrecondition }));

        Assert.AreEqual(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.AreEqual(detail, error.Status.Detail);
        StringAssert.Contains(error.Message, "FailedPrecondition");
    }

    [TestMethod]
    public async Task DetailIsPercentEncodedOnTheWire()
    {
        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName,
            GrpcHttpLevelTests.Frame(new EchoRequest { Text = "ü 100%", FailCode = (int)StatusCode.Aborted }));

        Assert.AreEqual("10", response.GrpcStatus);
        Assert.AreEqual("%C3%BC 100%25", response.GrpcMessage);
    }

    [TestMethod]
    public async Task ErrorBeforeAnyMessageIsTrailersOnly()
    {
        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName,
            GrpcHttpLevelTests.Frame(new EchoRequest { Text = "no", FailCode = (int)StatusCode.NotFound }));

        Assert.AreEqual(200, response.HttpStatus);
        Assert.AreEqual("5", response.Headers["grpc-status"]);
        Assert.AreEqual("no", response.Headers["grpc-message"]);
        StringAssert.StartsWith(response.Headers["Content-Type"], "application/grpc");
        Assert.AreEqual(0, response.Body.Length, "Trailers-Only has no body");
        Assert.AreEqual(0, response.Trailers.Count, "Trailers-Only has no separate trailers");
    }

    [TestMethod]
    public async Task SuccessfulUnaryHasStatusInTrailers()
    {
        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, GrpcHttpLevelTests.Frame(new EchoRequest { Text = "x" }));

        Assert.IsFalse(response.Headers.ContainsKey("grpc-status"));
        Assert.AreEqual("0", response.Trailers["grpc-status"]);
        Assert.AreEqual(5 + new EchoResponse { Text = "x" }.CalculateSize(), response.Body.Length);
    }

    [TestMethod]
    public async Task ErrorAfterMessagesComesInTrailers()
    {
        using var call = _echo.Channel.ServerStreaming(EchoService.ServerStream,
            new EchoRequest { Text = "late failure", Repeat = 3, FailCode = (int)StatusCode.DataLoss });
        int received = 0;
        var error = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext()) received++;
        });

        Assert.AreEqual(3, received);
        Assert.AreEqual(StatusCode.DataLoss, error.StatusCode);
        Assert.AreEqual("late failure", error.Status.Detail);
        Assert.AreEqual(StatusCode.DataLoss, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task UnexpectedExceptionIsUnknownWithAGenericMessageAndIsLogged()
    {
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => _echo.Channel.UnaryAsync(Throws, new EchoRequest()));

        Assert.AreEqual(StatusCode.Unknown, error.StatusCode);
        Assert.IsFalse(error.Status.Detail.Contains("secret"), "exception text must not reach the client");
        Assert.IsTrue(_echo.Server.Logger.Entries.Any(e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException));
        Assert.AreEqual("x", (await _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "x" })).Text, "the server keeps serving");
    }

    [TestMethod]
    public async Task ExceptionMapperChoosesTheStatus()
    {
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => _echo.Channel.UnaryAsync(Mapped, new EchoRequest()));

        Assert.AreEqual(StatusCode.NotFound, error.StatusCode);
        Assert.AreEqual("table 'x' does not exist", error.Status.Detail);
    }

    [TestMethod]
    public async Task InterceptorRefusesBeforeTheHandlerRuns()
    {
        int before = Volatile.Read(ref _guardedRuns);
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => _echo.Channel.UnaryAsync(Guarded, new EchoRequest()));
        Assert.AreEqual(StatusCode.Unauthenticated, error.StatusCode);
        Assert.AreEqual(before, Volatile.Read(ref _guardedRuns));

        var headers = new Metadata { { "authorization", "Bearer good" } };
        await _echo.Channel.UnaryAsync(Guarded, new EchoRequest(), new CallOptions(Headers: headers));
        Assert.AreEqual(before + 1, Volatile.Read(ref _guardedRuns));
    }

    [TestMethod]
    public async Task TrailersOnlyErrorStillCarriesTrailerMetadata()
    {
        var headers = new Metadata { { "x-echo-tag", "abc" } };
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => _echo.Channel.UnaryAsync(EchoService.Unary,
            new EchoRequest { FailCode = (int)StatusCode.Aborted }, new CallOptions(Headers: headers)));

        Assert.AreEqual(StatusCode.Aborted, error.StatusCode);
        Assert.AreEqual("abc", error.Trailers.GetValue("x-echo-tag"));
    }

    /// <summary>
    /// A duplex call that the server ends mid-stream (INVALID_ARGUMENT in the trailers) while the client is still
    /// writing: the server resets the request stream, and the client's next write fails before its reader, which
    /// reads a moment later, has reached the trailers. Both must report the server's status, not the reset.
    /// </summary>
    [TestMethod]
    public async Task AStreamingCallEndedByTheServerWhileTheClientWritesReportsTheServersStatus()
    {
        var payload = new EchoRequest { Payload = Google.Protobuf.ByteString.CopyFrom(new byte[64 * 1024]) };
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var call = _echo.Channel.DuplexStreaming(EchoService.Duplex);
            await call.RequestStream.WriteAsync(new EchoRequest { Text = "fine" });
            Assert.IsTrue(await call.ResponseStream.MoveNext(), "the first message is answered");
            await call.RequestStream.WriteAsync(new EchoRequest { Text = "column 'obs' is 12 bytes a step, not 16", FailCode = (int)StatusCode.InvalidArgument });
            var reading = Task.Run(async () =>
            {
                await Task.Delay(300); // the writes below fail first
                while (await call.ResponseStream.MoveNext())
                {
                }
            });
            var writeError = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
            {
                for (var i = 0; i < 4096; i++)
                    await call.RequestStream.WriteAsync(payload);
            });
            var readError = await Assert.ThrowsExceptionAsync<RpcException>(() => reading);
            Assert.AreEqual(StatusCode.InvalidArgument, readError.StatusCode, $"attempt {attempt}, reader: {readError.Status.Detail}");
            Assert.AreEqual(StatusCode.InvalidArgument, writeError.StatusCode, $"attempt {attempt}, writer: {writeError.Status.Detail}");
            StringAssert.Contains(writeError.Status.Detail, "obs");
        }
    }

    [TestMethod]
    public async Task AStreamingCallRefusedWhileTheClientWritesReportsTheServersStatus()
    {
        // The refusal resets the request stream; a write racing with it must still report UNAUTHENTICATED.
        var payload = new EchoRequest { Text = new string('x', 64 * 1024) };
        for (var attempt = 0; attempt < 30; attempt++)
        {
            using var call = _echo.Channel.DuplexStreaming(GuardedDuplex);
            var error = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
            {
                for (var i = 0; i < 64; i++)
                    await call.RequestStream.WriteAsync(payload);
                await call.RequestStream.CompleteAsync();
                while (await call.ResponseStream.MoveNext())
                {
                }
            });
            Assert.AreEqual(StatusCode.Unauthenticated, error.StatusCode, $"attempt {attempt}: {error.Status.Detail}");
        }
    }
}
