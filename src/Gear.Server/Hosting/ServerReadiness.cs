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

    /// <summary>Marks the server not ready (shutting down).</summary>
    public void MarkNotReady(string state)
    {
        _ready = false;
        _state = state;
    }
}
