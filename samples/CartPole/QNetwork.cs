namespace Gear.Samples.CartPole;

/// <summary>The Q-network's shape, in one place: observation → 64 → 64 → one value per action.</summary>
public static class QNetwork
{
    /// <summary>A fresh, randomly initialised Q-network.</summary>
    public static Mlp Create(int seed) =>
        new([CartPoleEnvironment.ObservationSize, 64, 64, CartPoleEnvironment.ActionCount], seed);
}
