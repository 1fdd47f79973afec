using Gear.Protocol.Rdma;
using Gear.Server.Admin.Metrics;
using Gear.Server.Service;
using Microsoft.Extensions.Logging;

namespace Gear.Server.DataPlane;

/// <summary>
/// The RDMA data plane: the server's device (the first with an active port) and the sessions writing into
/// learners' rings. Without a usable device (no libibverbs, no device, no active port) it is not
/// <see cref="Available"/>, says why once in the log and in server info, and OpenDataPlane offers TCP.
/// </summary>
public sealed class RdmaDataPlane : IAsyncDisposable
{
    /// <summary>How often an idle session checks that its learner is still there.</summary>
    public static readonly TimeSpan DefaultProbeInterval = TimeSpan.FromSeconds(1);

    private readonly RdmaDevice? _device;
    private readonly TableRegistry _tables;
    private readonly GearMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _probeInterval;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _sessions = [];
    private long _nextSession;

    private RdmaDataPlane(RdmaDevice? device, string reason, TableRegistry tables, GearMetrics metrics, ILoggerFactory loggers, TimeSpan probeInterval)
    {
        _device = device;
        Reason = reason;
        _tables = tables;
        _metrics = metrics;
        _probeInterval = probeInterval;
        _logger = loggers.CreateLogger<RdmaDataPlane>();
        _logger.LogInformation("data plane: {Reason}", Reason);
    }

    /// <summary>Whether learners can be served over RDMA.</summary>
    public bool Available => _device is not null;

    /// <summary>The device in use, or why there is none (logged once, shown in server info).</summary>
    public string Reason { get; }

    /// <summary>
    /// Opens the first usable device of <paramref name="verbs"/> (null: libibverbs, where it is installed).
    /// Never throws: a failure is the reason the plane is unavailable.
    /// </summary>
    public static RdmaDataPlane Open(IVerbs? verbs, TableRegistry tables, GearMetrics metrics, ILoggerFactory loggers, TimeSpan? probeInterval = null)
    {
        var device = RdmaDevice.TryOpenAny(verbs, out var reason);
        reason = device is not null ? $"rdma on {reason}" : $"rdma unavailable: {reason}; batches travel over tcp";
        return new RdmaDataPlane(device, reason, tables, metrics, loggers, probeInterval ?? DefaultProbeInterval);
    }

    /// <summary>
    /// Starts a session writing <paramref name="request"/>'s batches into <paramref name="ring"/> of the
    /// learner at <paramref name="learner"/>; returns its id and the server's queue pair address.
    /// </summary>
    /// <exception cref="VerbsException">The device refused a queue pair, a registration or a transition.</exception>
    internal (ulong Session, RdmaPeerAddress Server) Start(Gear.Protocol.V1.SampleStreamRequest request, RdmaRing ring, RdmaPeerAddress learner)
    {
        var device = _device ?? throw new InvalidOperationException("no RDMA device");
        var session = new RdmaSession((ulong)Interlocked.Increment(ref _nextSession), device, request, ring, learner, _probeInterval);
        lock (_sessions)
        {
            _sessions.RemoveAll(t => t.IsCompleted);
            _sessions.Add(Task.Run(() => session.RunAsync(_tables, _metrics, _logger, _stopping.Token)));
        }
        return (session.Id, session.Local);
    }

    /// <summary>Sessions still running.</summary>
    public int RunningSessions
    {
        get
        {
            lock (_sessions)
                return _sessions.Count(t => !t.IsCompleted);
        }
    }

    /// <summary>Ends every session, waits for them, and closes the device.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_sessions)
            running = [.. _sessions];
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _device?.Dispose();
        _stopping.Dispose();
    }
}
