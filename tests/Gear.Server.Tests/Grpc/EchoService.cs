using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Tests.Protos;
using Google.Protobuf;

namespace Gear.Server.Tests.Grpc;

/// <summary>
/// The echo service the gRPC tests call: all four call kinds, with request fields that make it fail, wait or
/// repeat. It records what it saw (cancellation, deadline, headers) for the tests to check.
/// </summary>
public sealed class EchoService
{
    public const string ServiceName = "gear.test.Echo";

    public static readonly Method<EchoRequest, EchoResponse> Unary =
        new(MethodType.Unary, ServiceName, "Unary", EchoRequest.Parser, EchoResponse.Parser);

    public static readonly Method<EchoRequest, EchoResponse> ServerStream =
        new(MethodType.ServerStreaming, ServiceName, "ServerStream", EchoRequest.Parser, EchoResponse.Parser);

    public static readonly Method<EchoRequest, EchoResponse> ClientStream =
        new(MethodType.ClientStreaming, ServiceName, "ClientStream", EchoRequest.Parser, EchoResponse.Parser);

    public static readonly Method<EchoRequest, EchoResponse> Duplex =
        new(MethodType.DuplexStreaming, ServiceName, "Duplex", EchoRequest.Parser, EchoResponse.Parser);

    /// <summary>Completes when a handler's CancellationToken fires, with what the handler could see at that moment.</summary>
    public TaskCompletionSource<CancellationSeen> CallCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first call reaches a handler.</summary>
    public TaskCompletionSource CallEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The context of the last call that reached a handler.</summary>
    public ServerCallContext? LastContext { get; private set; }

    /// <summary>How many handler invocations started.</summary>
    public int Invocations => _invocations;

    private int _invocations;

    /// <summary>Registers the four methods.</summary>
    public void Register(GrpcServiceHost host)
    {
        host.AddUnary(Unary, UnaryAsync);
        host.AddServerStreaming(ServerStream, ServerStreamAsync);
        host.AddClientStreaming(ClientStream, ClientStreamAsync);
        host.AddDuplexStreaming(Duplex, DuplexAsync);
    }

    private async Task<EchoResponse> UnaryAsync(EchoRequest request, ServerCallContext context)
    {
        Enter(context);
        await EchoMetadataAsync(context);
        await DelayAsync(request, context);
        FailIfAsked(request);
        return Reply(request, 0);
    }

    private async Task ServerStreamAsync(EchoRequest request, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        Enter(context);
        for (int i = 0; i < request.Repeat; i++)
        {
            await DelayAsync(request, context);
            await responses.WriteAsync(Reply(request, i));
        }
        FailIfAsked(request);
    }

    private async Task<EchoResponse> ClientStreamAsync(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        Enter(context);
        int count = 0;
        var text = new System.Text.StringBuilder();
        long bytes = 0;
        while (await requests.MoveNext())
        {
            count++;
            text.Append(requests.Current.Text);
            bytes += requests.Current.Payload.Length;
            FailIfAsked(requests.Current);
        }
        return new EchoResponse { Text = text.ToString(), Count = count, Index = (int)bytes };
    }

    private async Task DuplexAsync(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        Enter(context);
        int index = 0;
        while (await requests.MoveNext())
        {
            EchoRequest request = requests.Current;
            await DelayAsync(request, context);
            FailIfAsked(request);
            await responses.WriteAsync(Reply(request, index++));
        }
    }

    private void Enter(ServerCallContext context)
    {
        Interlocked.Increment(ref _invocations);
        LastContext = context;
        context.CancellationToken.Register(() => CallCancelled.TrySetResult(new CancellationSeen(
            ClientReset: context.ClientGone,
            // The timer behind the deadline and DateTime.UtcNow are different clocks; a timer may fire a
            // millisecond or so before UtcNow reaches the deadline.
            DeadlinePassed: DateTime.UtcNow >= context.Deadline - TimeSpan.FromMilliseconds(50),
            Deadline: context.Deadline)));
        CallEntered.TrySetResult();
    }

    private async Task DelayAsync(EchoRequest request, ServerCallContext context)
    {
        if (request.DelayMs > 0) await Task.Delay(request.DelayMs, context.CancellationToken);
    }

    private static async Task EchoMetadataAsync(ServerCallContext context)
    {
        // Headers named x-echo* come back in the response headers (as "h-" + key) and in the trailers.
        var headers = new Metadata();
        foreach (Metadata.Entry entry in context.RequestHeaders)
        {
            if (!entry.Key.StartsWith("x-echo", StringComparison.Ordinal)) continue;
            if (entry.IsBinary)
            {
                headers.Add("h-" + entry.Key, entry.ValueBytes);
                context.ResponseTrailers.Add(entry.Key, entry.ValueBytes);
            }
            else
            {
                headers.Add("h-" + entry.Key, entry.Value);
                context.ResponseTrailers.Add(entry.Key, entry.Value);
            }
        }
        if (headers.Count > 0) await context.WriteResponseHeadersAsync(headers);
    }

    private static void FailIfAsked(EchoRequest request)
    {
        if (request.FailCode != 0) throw new RpcException(new Status((StatusCode)request.FailCode, request.Text));
    }

    private static EchoResponse Reply(EchoRequest request, int index)
    {
        ByteString payload = request.ResponseSize > 0 ? ByteString.CopyFrom(new byte[request.ResponseSize]) : request.Payload;
        return new EchoResponse { Text = request.Text, Payload = payload, Index = index };
    }
}

/// <summary>What a handler saw when its cancellation token fired.</summary>
public sealed record CancellationSeen(bool ClientReset, bool DeadlinePassed, DateTime Deadline);
