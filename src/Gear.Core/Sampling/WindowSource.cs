namespace Gear.Core.Sampling;

/// <summary>
/// What a backend needs to gather one window: the trajectory's page table, its length, and the window's
/// first step (negative when the window starts before the trajectory: head padding).
/// </summary>
/// <param name="PageTable">Page ids of the trajectory, in step order (shared by all columns).</param>
/// <param name="TrajectorySlot">The trajectory's slot in its table (for backends that mirror page tables).</param>
/// <param name="Start">Step of the window's first position; may be negative or run past the end.</param>
/// <param name="TrajectoryLength">Valid steps in the trajectory; positions outside [0, length) are padding.</param>
public readonly record struct WindowSource(int[] PageTable, int TrajectorySlot, int Start, int TrajectoryLength)
{
    /// <summary>
    /// The valid positions [First, End) of a window of <paramref name="windowLength"/> steps from this source:
    /// [max(0, −start), clamp(length − start, first, L)); every other position is padding.
    /// </summary>
    public (int First, int End) ValidPositions(int windowLength)
    {
        var first = Math.Max(0, -Start);
        return (first, (int)Math.Clamp((long)TrajectoryLength - Start, first, windowLength));
    }
}
