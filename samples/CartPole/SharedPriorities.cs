namespace Gear.Samples.CartPole;

/// <summary>
/// The largest priority the learner has set, which new transitions get (prioritized replay's rule: unseen
/// transitions are sampled at least once soon).
/// </summary>
public sealed class SharedPriorities
{
    private double _max = 1.0;

    /// <summary>The priority for new transitions.</summary>
    public double Max => Volatile.Read(ref _max);

    /// <summary>Raises <see cref="Max"/> to <paramref name="priority"/> if it is larger.</summary>
    public void Observe(double priority)
    {
        if (priority > Volatile.Read(ref _max))
            Volatile.Write(ref _max, priority);
    }
}
