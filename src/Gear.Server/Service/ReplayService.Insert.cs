using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Admin.Metrics;
using Gear.Server.Grpc;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    private async Task InsertStream(IAsyncStreamReader<InsertCommand> requests, IServerStreamWriter<InsertResponse> responses, ServerCallContext context)
    {
        var metrics = new InsertStreamMetrics(_metrics);
        var session = new InsertStreamSession(_tables, responses, context, metrics);
        _logger.LogInformation("Insert stream from {Peer} opened", context.Peer);
        try
        {
            // One request at a time: while an append copies or an end waits on the rate limiter, the stream is
            // not read, so HTTP/2 flow control pushes back on the actor and a connection's memory stays bounded.
            // (It must be: an append's columns are the request body's bytes, valid until the next MoveNext.)
            while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
                await session.ApplyAsync(requests.Current).ConfigureAwait(false);
            _logger.LogInformation("Insert stream from {Peer} closed: {Committed} trajectories committed, {Abandoned} abandoned",
                context.Peer, session.Committed, session.Abandoned + session.OpenCount);
        }
        catch (Exception e)
        {
            _logger.LogInformation("Insert stream from {Peer} ended by {Error}: {Committed} trajectories committed, {Abandoned} abandoned",
                context.Peer, e is RpcException or Gear.Core.Errors.GearException ? e.Message : e.GetType().Name,
                session.Committed, session.Abandoned + session.OpenCount);
            throw;
        }
        finally
        {
            session.AbandonOpenTrajectories();
            metrics.Ended();
        }
    }
}
