using System.Collections.Concurrent;
using System.Diagnostics;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>
/// One actor's InsertStream: trajectories of the table's length, appended in the table's batches and ended
/// with a priority, the committed steps counted from the server's acknowledgements. The two request messages
/// are built once and reused with a new trajectory id, and the step data is wrapped, not copied, so the
/// client's cost is the serialization it cannot avoid. The server acknowledges trajectories in the order they
/// were ended, so the time each End was sent waits in a queue for its acknowledgement.
/// </summary>
internal static class ActorStream
{
    /// <summary>
    /// Most trajectories begun but not yet acknowledged, as Gear.Client's TrajectoryWriter allows by default. Without
    /// a bound, an actor held back by the rate limiter would fill its stream's 16 MiB flow-control window, and the
    /// server's memory and the acknowledgement latency would measure that queue rather than the service.
    /// </summary>
    public const int MaxTrajectoriesInFlight = 64;

    /// <summary>
    /// Inserts <paramref name="trajectories"/> trajectories (0: until <paramref name="stop"/>), then closes the
    /// stream and waits for the remaining acknowledgements.
    /// </summary>
    /// <param name="channel">The actor's channel.</param>
    /// <param name="table">Where the steps go and how they are batched.</param>
    /// <param name="trajectories">How many trajectories; 0 for as many as fit before <paramref name="stop"/>.</param>
    /// <param name="committed">Counts the step bytes of each committed trajectory.</param>
    /// <param name="stop">Ends the insertion after the trajectory in progress.</param>
    /// <param name="ackLatency">Where each trajectory's time from End sent to TrajectoryCommitted received goes, if anywhere.</param>
    public static async Task RunAsync(
        GrpcChannel channel, BenchTable table, long trajectories, ByteCounter committed, CancellationToken stop, LatencyRecorder? ackLatency = null)
    {
        var append = new AppendSteps { Table = table.Name, StepCount = (uint)table.AppendSteps, Columns = { table.Layout.StepData(table.AppendSteps) } };
        var appendRequest = new InsertRequest { Append = append };
        var end = new EndTrajectory { Priority = 1 };
        var endRequest = new InsertRequest { End = end };
        var appendsPerTrajectory = table.TrajectorySteps / table.AppendSteps;

        var endsSent = new ConcurrentQueue<long>();
        using var inFlight = new SemaphoreSlim(MaxTrajectoriesInFlight);

        using var call = channel.DuplexStreaming(ReplayMethods.InsertStream);
        var acknowledgements = CountCommittedAsync(call.ResponseStream, table.Layout.StepBytes, committed, endsSent, inFlight, ackLatency);
        for (ulong trajectory = 1; trajectories == 0 || (long)trajectory <= trajectories; trajectory++)
        {
            if (stop.IsCancellationRequested)
                break;
            await inFlight.WaitAsync();
            append.Trajectory = trajectory;
            for (var i = 0; i < appendsPerTrajectory; i++)
                await call.RequestStream.WriteAsync(appendRequest);
            end.Trajectory = trajectory;
            endsSent.Enqueue(Stopwatch.GetTimestamp());
            await call.RequestStream.WriteAsync(endRequest);
        }
        await call.RequestStream.CompleteAsync();
        await acknowledgements;
    }

    private static async Task CountCommittedAsync(
        IAsyncStreamReader<InsertResponse> responses, int stepBytes, ByteCounter committed, ConcurrentQueue<long> endsSent,
        SemaphoreSlim inFlight, LatencyRecorder? ackLatency)
    {
        try
        {
            while (await responses.MoveNext())
            {
                if (responses.Current.Committed is not { } trajectory)
                    continue;
                committed.Add((long)trajectory.Steps * stepBytes);
                if (!endsSent.TryDequeue(out var sent))
                    throw new InvalidOperationException($"trajectory {trajectory.Trajectory} was acknowledged before its end was sent");
                ackLatency?.Record(sent);
                inFlight.Release();
            }
        }
        finally
        {
            // No more acknowledgements will come: let a writer waiting for one go on, to fail on the closed stream.
            inFlight.Release(MaxTrajectoriesInFlight);
        }
    }
}
