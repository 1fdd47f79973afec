using System.Net;
using System.Net.Sockets;
using Gear.Protocol.V1;
using Gear.Server.Admin.Metrics;
using Gear.Server.Service;
using Microsoft.Extensions.Logging;

namespace Gear.Server.DataPlane;

/// <summary>
/// The TCP data plane: a listener on its own port (listen.dataPlane) that serves the batch streams
/// OpenDataPlane grants. Each accepted connection runs on its own; a bad one is closed with a logged reason
/// and affects no other.
/// </summary>
public sealed class TcpDataPlane : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TableRegistry _tables;
    private readonly GearMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];

    private TcpDataPlane(Socket listener, TableRegistry tables, GearMetrics metrics, ILoggerFactory loggers)
    {
        _listener = listener;
        _tables = tables;
        _metrics = metrics;
        _logger = loggers.CreateLogger<TcpDataPlane>();
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    /// <summary>The bound address (the real port when port 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    internal DataPlaneSessions Sessions { get; } = new();

    /// <summary>Binds <paramref name="endPoint"/> and starts accepting.</summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, not local, not permitted).</exception>
    public static TcpDataPlane Start(IPEndPoint endPoint, TableRegistry tables, GearMetrics metrics, ILoggerFactory loggers)
    {
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new TcpDataPlane(listener, tables, metrics, loggers);
    }

    /// <summary>Grants a session for <paramref name="request"/>: its id and token, to be presented within 30 s.</summary>
    internal DataPlaneSession Grant(SampleStreamRequest request) => Sessions.Create(request);

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _logger.LogWarning("data plane: accept failed: {Reason}", e.Message);
                continue;
            }
            var connection = new DataPlaneConnection(socket, _tables, Sessions, _metrics, _logger);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => connection.RunAsync(_stopping.Token)));
            }
        }
    }

    /// <summary>Stops accepting, ends every connection and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] running;
        lock (_connections)
            running = [.. _connections];
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }
}
