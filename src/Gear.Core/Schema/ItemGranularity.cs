namespace Gear.Core.Schema;

/// <summary>What a selector chooses, and what a priority belongs to.</summary>
public enum ItemGranularity
{
    /// <summary>
    /// One item per trajectory (one priority each); a sampled window is placed inside the chosen trajectory
    /// (decision transformers, GEAR).
    /// </summary>
    Trajectory,

    /// <summary>
    /// One item per step (one priority per step); a sampled window starts or ends at the chosen step
    /// (DQN-style prioritized transitions, R2D2 sequences).
    /// </summary>
    Step,
}
