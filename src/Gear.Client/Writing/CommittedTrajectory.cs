namespace Gear.Client;

/// <summary>A trajectory the server has committed: it is in the table and can be sampled.</summary>
/// <param name="TrajectoryId">The writer's id of the trajectory.</param>
/// <param name="Key">Its key in the table (also its item key for trajectory items), on <paramref name="Shard"/>.</param>
/// <param name="Steps">Steps committed.</param>
/// <param name="Shard">Index of the server (in <see cref="GearClientOptions.Endpoints"/>) that holds it.</param>
public readonly record struct CommittedTrajectory(ulong TrajectoryId, ulong Key, uint Steps, int Shard);
