namespace Gear.Core.Sampling;

/// <summary>Where a sampled window sits inside its item's trajectory.</summary>
public enum WindowPlacement
{
    /// <summary>
    /// Uniform over the starts that keep the window inside the trajectory (trajectory items only). A trajectory
    /// shorter than the window is padded on the side <see cref="SampleRequest.ShortTrajectoryPadding"/> names.
    /// </summary>
    Uniform,

    /// <summary>
    /// The window ends at the trajectory's last step (trajectory items: history ending now, as decision
    /// transformers train) or at the chosen step (step items); steps before the start are head padding.
    /// </summary>
    EndAnchored,

    /// <summary>
    /// The window starts at the trajectory's first step (trajectory items) or at the chosen step (step items);
    /// steps past the end are tail padding.
    /// </summary>
    StartAnchored,
}

/// <summary>Which end of a window holds the padding when the trajectory is shorter than the window.</summary>
public enum PaddingSide
{
    /// <summary>Valid steps first, padding after them.</summary>
    Tail,
    /// <summary>Padding first, valid steps after it.</summary>
    Head,
}
