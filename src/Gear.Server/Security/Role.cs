namespace Gear.Server.Security;

/// <summary>What a bearer token allows.</summary>
public enum Role
{
    /// <summary>Inserts trajectories (InsertStream).</summary>
    Actor,
    /// <summary>Samples and updates priorities (Sample, SampleStream, UpdatePriorities, OpenDataPlane).</summary>
    Learner,
    /// <summary>Everything, table management included.</summary>
    Admin,
}
