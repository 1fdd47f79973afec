using Gear.Core.Errors;

namespace Gear.Core.Sampling;

/// <summary>What a learner asks of one sample: B windows of L steps, placed and weighted as given.</summary>
/// <param name="BatchSize">B, the number of windows.</param>
/// <param name="WindowLength">L, steps per window (1 for transitions).</param>
/// <param name="Placement">Where each window sits in its item's trajectory.</param>
/// <param name="ImportanceExponent">β of the importance weights (N·P(i))^−β; 0 makes every weight 1.</param>
/// <param name="ShortTrajectoryPadding">With uniform placement, where a trajectory shorter than L is padded.</param>
public readonly record struct SampleRequest(
    int BatchSize,
    int WindowLength,
    WindowPlacement Placement = WindowPlacement.Uniform,
    double ImportanceExponent = 0.0,
    PaddingSide ShortTrajectoryPadding = PaddingSide.Tail)
{
    /// <summary>Largest batch (windows) one request may ask for.</summary>
    public const int MaxBatchSize = 1 << 20;

    /// <summary>Longest window one request may ask for.</summary>
    public const int MaxWindowLength = 1 << 24;

    /// <summary>Checks the request on its own (the table checks it against its spec).</summary>
    /// <exception cref="GearException">InvalidArgument naming the field at fault.</exception>
    public void Validate()
    {
        if (BatchSize < 1 || BatchSize > MaxBatchSize)
            throw GearException.InvalidArgument($"batch_size {BatchSize} must be between 1 and {MaxBatchSize}");
        if (WindowLength < 1 || WindowLength > MaxWindowLength)
            throw GearException.InvalidArgument($"window_length {WindowLength} must be between 1 and {MaxWindowLength}");
        if (!Enum.IsDefined(Placement))
            throw GearException.InvalidArgument($"placement {(int)Placement} is not a known window placement");
        if (!Enum.IsDefined(ShortTrajectoryPadding))
            throw GearException.InvalidArgument($"short_trajectory_padding {(int)ShortTrajectoryPadding} is not a known padding side");
        if (!double.IsFinite(ImportanceExponent) || ImportanceExponent < 0)
            throw GearException.InvalidArgument($"importance_exponent {ImportanceExponent} must be finite and not negative");
    }
}
