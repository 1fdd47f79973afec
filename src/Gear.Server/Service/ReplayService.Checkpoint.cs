using Gear.Core.Errors;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Checkpoints;
using Gear.Server.Grpc;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    /// <summary>Takes the Checkpoint RPC's checkpoints; null when checkpoints are not configured.</summary>
    public Checkpointer? Checkpoints { get; set; }

    private async Task<CheckpointResponse> Checkpoint(CheckpointRequest request, ServerCallContext context)
    {
        var checkpoints = Checkpoints ?? throw new GearException(GearErrorCode.FailedPrecondition,
            "checkpoints are not configured on this server: set checkpoints.directory in its config");
        CheckpointResult result;
        try
        {
            result = await checkpoints.CheckpointAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"checkpoint into {checkpoints.Store.Directory} failed: {e.Message}"));
        }
        return new CheckpointResponse { Path = result.Path };
    }
}
