namespace Gear.Core.Sampling;

/// <summary>
/// What a backend needs to gather one window: the trajectory's page table, its length, and the window's
/// first step (negative when the window starts before the trajectory: head padding).
/// </summary>
/// <param name="PageTable">Page ids of the trajectory, in step order (shared by all columns).</param>
/// <param name="TrajectorySlot">The trajectory's slot in its table (for backends that mirror page tables).</param>
/// <param name="Start">Step of the window's first position; may be negative or run past the end.</param>
/// <param name="TrajectoryLength">Valid steps in the trajectory; positions outside [0, length) are padding.</param>
public readonly record struct WindowSource(int[] PageTable, int TrajectorySlot, int Start, int TrajectoryLength);
