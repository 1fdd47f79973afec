using System.Net.Sockets;
using Gear.Core.Sampling;
using Gear.Protocol.DataPlane;
using Gear.Server.Admin.Metrics;
using Gear.Server.Service;
using Microsoft.Extensions.Logging;

namespace Gear.Server.DataPlane;

/// <summary>
/// One learner's data-plane connection: the hello (session token and credits), then a loop that samples a batch
/// only when the learner holds a free credit and writes it as a frame straight from the table's pages, and a
/// reader of credit frames. Whatever the learner does (stalls, sends garbage, goes away) ends this connection
/// only; a stalled learner holds one gather buffer, and the table's pages only briefly (see <see cref="BatchFrameWriter"/>).
/// </summary>
internal sealed class DataPlaneConnection(
    Socket socket, TableRegistry tables, DataPlaneSessions sessions, GearMetrics metrics, ILogger logger)
{
    /// <summary>How long a new connection has to present its hello.</summary>
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long an ended session waits for the learner to close its side.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(10);

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync(CancellationToken serverStopping)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            socket.NoDelay = true;
            var session = await HandshakeAsync(stream, peer, serverStopping).ConfigureAwait(false);
            if (session is null)
                return;
            await ServeAsync(stream, session.Value.Session, session.Value.Credits, peer, serverStopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogInformation("data plane: connection from {Peer} closed: {Reason}", peer, e.Message);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "data plane: connection from {Peer} failed", peer);
        }
    }

    private async Task<(DataPlaneSession Session, int Credits)?> HandshakeAsync(NetworkStream stream, string peer, CancellationToken stopping)
    {
        var hello = new byte[LearnerFrames.HelloBytes];
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(HelloTimeout);
            try
            {
                await stream.ReadExactlyAsync(hello, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                logger.LogWarning("data plane: closing connection from {Peer}: no hello within {Seconds} s", peer, HelloTimeout.TotalSeconds);
                return null;
            }
        }
        var token = new byte[LearnerFrames.TokenBytes];
        uint credits;
        try
        {
            credits = LearnerFrames.ReadHello(hello, token);
        }
        catch (DataPlaneFrameException e)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: bad hello: {Reason}", peer, e.Message);
            return null;
        }
        // Fixed-time lookup is not needed: the dictionary key is the token itself and a miss reveals nothing usable.
        if (sessions.TryClaim(token) is not { } session)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: unknown, used or expired session token", peer);
            return null;
        }
        if (credits < 1 || credits > ReplayService.MaxBatchesInFlight)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: {Credits} initial credits (1 to {Max})", peer, credits, ReplayService.MaxBatchesInFlight);
            return null;
        }
        return (session, (int)credits);
    }

    private async Task ServeAsync(NetworkStream stream, DataPlaneSession session, int credits, string peer, CancellationToken serverStopping)
    {
        var request = session.Request;
        var core = SampleMapping.ToCore(request.Sample);
        using var lease = tables.Lease(request.Sample.Table);
        var served = lease.Served;
        using var learner = metrics.SampleStreamOpened(served.Name);
        logger.LogInformation("data plane: session {Session} from {Peer} on table {Table}: {BatchSize} windows of {WindowLength} steps, {Credits} credits",
            session.Id, peer, served.Name, core.BatchSize, core.WindowLength, credits);

        // `connection` ends the session (server stopping, learner gone or misbehaving); `stop` also ends the
        // sampling when the table is dropped, which the loop then reports in an end frame.
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.Token, served.Dropping);
        // Credits bound everything the server holds for this learner: a batch is sampled only on a credit, and a
        // credit comes back only after the learner has received a batch.
        using var free = new SemaphoreSlim(credits, ReplayService.MaxBatchesInFlight);
        var creditReader = ReadCreditsAsync(stream, free, peer, connection);
        var stepBytes = served.Table.Spec.Columns.Select(c => c.StepBytes).ToArray();
        var writer = new BatchFrameWriter(socket, stream, session.Id, stepBytes, core.BatchSize);
        var buffer = served.Buffers.Rent(core.BatchSize, core.WindowLength);
        ulong sent = 0;
        try
        {
            var random = ReplayService.RandomFor(request.Sample);
            for (long batch = 0; request.MaxBatches == 0 || batch < request.MaxBatches; batch++)
            {
                // Sampling stops at the first failure (a bad request found by Core, a dropped table): that becomes
                // the end frame's status. A failed send ends the connection instead.
                if (await SampleAsync(served, core, random, free, buffer, stop.Token).ConfigureAwait(false) is { } failure)
                {
                    var (code, message) = SessionEndStatus.Describe(failure, served);
                    await writer.WriteEndAsync(sent, code, message, connection.Token).ConfigureAwait(false);
                    return;
                }
                await writer.WriteHeldBatchAsync(served.Table, buffer, sent, connection.Token).ConfigureAwait(false);
                sent++;
            }
            await writer.WriteEndAsync(sent, 0, "complete", connection.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            served.Buffers.Return(buffer);
            await CloseGracefullyAsync(creditReader, connection, served.Dropping).ConfigureAwait(false);
            logger.LogInformation("data plane: session {Session} from {Peer} on table {Table} ended after {Batches} batches", session.Id, peer, served.Name, sent);
        }
    }

    /// <summary>
    /// Ends the connection without losing the frames already sent: closing a socket with unread bytes (credits
    /// still arriving) makes TCP reset it, and a reset can discard data the learner has not read yet. So the
    /// sending side is shut first, and the credit reader drains until the learner closes (or a grace period ends).
    /// </summary>
    private async Task CloseGracefullyAsync(Task creditReader, CancellationTokenSource connection, CancellationToken dropping)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
        // A table being dropped waits for this session's lease: it does not wait out the grace period.
        await creditReader.WaitAsync(CloseGrace, dropping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await connection.CancelAsync().ConfigureAwait(false);
        await creditReader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReadCreditsAsync(NetworkStream stream, SemaphoreSlim free, string peer, CancellationTokenSource stop)
    {
        var frame = new byte[LearnerFrames.CreditBytes];
        try
        {
            while (true)
            {
                await stream.ReadExactlyAsync(frame, stop.Token).ConfigureAwait(false);
                var credits = LearnerFrames.ReadCredit(frame);
                if (credits == 0 || credits > ReplayService.MaxBatchesInFlight)
                    throw new DataPlaneFrameException($"a credit frame of {credits} credits");
                free.Release((int)credits);
            }
        }
        catch (SemaphoreFullException)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: credits beyond {Max} outstanding", peer, ReplayService.MaxBatchesInFlight);
        }
        catch (DataPlaneFrameException e)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: bad credit frame: {Reason}", peer, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The learner went away (end of stream) or the session ended: nothing to report.
        }
        await stop.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for a free credit and samples one batch into <paramref name="buffer"/>, held (sent from the pages,
    /// then released by the writer); returns null, or what stopped the sampling for the end frame to report.
    /// </summary>
    /// <exception cref="OperationCanceledException">The session is ending (server stopping, learner gone).</exception>
    private async Task<Exception?> SampleAsync(ServedTable served, SampleRequest request, RandomStream random, SemaphoreSlim free, GatherBuffer buffer, CancellationToken stop)
    {
        try
        {
            await free.WaitAsync(stop).ConfigureAwait(false);
            await served.SampleAsync(metrics, request, random, buffer.Batch, hold: true, Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || served.Dropping.IsCancellationRequested)
        {
            return e;
        }
    }
}
