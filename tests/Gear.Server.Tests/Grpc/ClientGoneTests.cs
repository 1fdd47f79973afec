using System.IO.Pipelines;
using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Tests.Protos;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gear.Server.Tests.Grpc;

/// <summary>
/// Kestrel fails a reset stream's body at once but cancels RequestAborted later, from the thread pool. These
/// calls see the body fail while RequestAborted has not fired (and never will, here): the call's token must
/// fire anyway, or a handler that ends on the body's error ends with its token never fired.
/// </summary>
[TestClass]
public sealed class ClientGoneTests
{
    [TestMethod]
    public async Task ARequestBodyResetFiresTheCallsToken()
    {
        var requestBody = new Pipe();
        await requestBody.Writer.CompleteAsync(new IOException("The client reset the request stream."));
        var http = new DefaultHttpContext();
        http.Features.Set<IRequestBodyPipeFeature>(new RequestBodyPipe(requestBody.Reader));
        var context = NewCallContext(http);
        var requests = new RequestStreamReader<EchoRequest>(context, EchoService.ClientStream.RequestDecoder);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => requests.MoveNext());

        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode);
        Assert.IsInstanceOfType<IOException>(error.InnerException);
        Assert.IsFalse(http.RequestAborted.IsCancellationRequested, "the test's premise: Kestrel has not said so yet");
        Assert.IsTrue(context.CancellationToken.IsCancellationRequested, "the call's token fired");
        Assert.IsTrue(context.ClientGone);
    }

    [TestMethod]
    public async Task AResponseBodyTheClientNoLongerReadsFiresTheCallsToken()
    {
        var responseBody = new Pipe();
        await responseBody.Reader.CompleteAsync(); // a flush now reports IsCompleted: no more bytes are taken
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpResponseBodyFeature>(new ResponseBodyPipe(responseBody.Writer));
        var context = NewCallContext(http);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
            await context.WriteMessageAsync(new EchoResponse { Text = "x" }, flush: true, CancellationToken.None));

        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode);
        Assert.IsTrue(context.CancellationToken.IsCancellationRequested, "the call's token fired");
        Assert.IsTrue(context.ClientGone);
    }

    private static ServerCallContext NewCallContext(HttpContext http) =>
        new(http, EchoService.ClientStream.FullName, new GrpcServerOptions(), timeout: null, CancellationToken.None);

    private sealed class RequestBodyPipe(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }

    private sealed class ResponseBodyPipe(PipeWriter writer) : IHttpResponseBodyFeature
    {
        public Stream Stream => writer.AsStream();
        public PipeWriter Writer => writer;
        public void DisableBuffering() { }
        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
        public Task CompleteAsync() => writer.CompleteAsync().AsTask();
    }
}
