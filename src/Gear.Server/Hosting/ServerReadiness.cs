using Gear.Protocol.Grpc;
using Gear.Server.Grpc;

namespace Gear.Server.Hosting;

/// <summary>
/// Whether the server is ready for traffic: true once the configured tables exist, false again when shutdown
/// begins, so that a load balancer polling <c>/readyz</c> stops sending before calls start failing.
/// </summary>
public sealed class ServerReadiness
{
    private volatile string _state = "starting: tables not created yet";
    private volatile bool _ready;

    /// <summary>Whether <c>/readyz</c> answers 200.</summary>
    public bool IsReady => _ready;

    /// <summary>A short description of the state, the <c>/readyz</c> body.</summary>
    public string State => _state;

    /// <summary>Marks the server ready.</summary>
    public void MarkReady(string state)
    {
        _state = state;
        _ready = true;
    }

    /// <summary>
    /// A gRPC interceptor that refuses calls with UNAVAILABLE while the server is not ready, then runs
    /// <paramref name="next"/>. The listeners open before the tables are restored and created: a client that
    /// retries after a restart must hear "try again", not NOT_FOUND for a table that is still being replayed.
    /// </summary>
    public Func<ServerCallContext, ValueTask> Gate(Func<ServerCallContext, ValueTask>? next) => context =>
    {
        if (!_ready)
            throw new RpcException(new Status(StatusCode.Unavailable, $"the server is not serving calls yet or any more ({_state})"));
        return next?.Invoke(context) ?? ValueTask.CompletedTask;
    };

    /// <summary>Marks the server not ready (shutting down).</summary>
    public void MarkNotReady(string state)
    {
        _ready = false;
        _state = state;
    }
}
