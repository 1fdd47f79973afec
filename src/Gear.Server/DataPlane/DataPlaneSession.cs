using Gear.Protocol.V1;

namespace Gear.Server.DataPlane;

/// <summary>
/// A batch stream granted by OpenDataPlane and not yet claimed by a data-plane connection: the token the
/// learner must present, and what the stream samples.
/// </summary>
internal sealed record DataPlaneSession(ulong Id, byte[] Token, SampleStreamRequest Request, DateTime ExpiresUtc);
