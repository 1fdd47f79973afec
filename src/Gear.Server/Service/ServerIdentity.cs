namespace Gear.Server.Service;

/// <summary>What GetServerInfo reports about the server itself.</summary>
/// <param name="Version">The server's version.</param>
/// <param name="Backend">The compute backend in use ("cpu", "cuda:0").</param>
/// <param name="BackendReason">Why that backend was chosen.</param>
/// <param name="StartedUtc">When the server started.</param>
/// <param name="MaxReceiveMessageBytes">Largest message the server accepts.</param>
/// <param name="MaxSendMessageBytes">Largest message the server sends.</param>
public sealed record ServerIdentity(
    string Version,
    string Backend,
    string BackendReason,
    DateTime StartedUtc,
    int MaxReceiveMessageBytes,
    int MaxSendMessageBytes)
{
    /// <summary>What the data plane offers and why (for example why not rdma), as the admin page shows it.</summary>
    public string DataPlane { get; init; } = "none (learners negotiate it with OpenDataPlane where the server runs one)";
}
