namespace Gear.Protocol.Grpc;

/// <summary>Per-call settings.</summary>
/// <param name="Headers">Request metadata sent with the call; null for none.</param>
/// <param name="Deadline">
/// When the call must be over, preferably in UTC (a local time is converted). The server receives it as
/// <c>grpc-timeout</c>, and the client fails the call with DEADLINE_EXCEEDED itself when it passes.
/// </param>
/// <param name="CancellationToken">Cancels the call: the client resets the HTTP/2 stream and fails with CANCELLED.</param>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default);
