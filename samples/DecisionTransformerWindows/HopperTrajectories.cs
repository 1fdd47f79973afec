namespace Gear.Samples.DecisionTransformerWindows;

/// <summary>
/// Synthetic trajectories shaped like D4RL's hopper: 11 observation values, 3 action values, a reward per
/// step, 1,000 steps. The dynamics are a smooth random walk (the sample is about data flow, not physics);
/// rewards are positive and vary, so returns-to-go are distinct and checkable.
/// </summary>
public sealed class HopperTrajectories(int seed)
{
    /// <summary>Observation values per step.</summary>
    public const int ObservationSize = 11;

    /// <summary>Action values per step.</summary>
    public const int ActionSize = 3;

    /// <summary>Steps per trajectory.</summary>
    public const int Length = 1000;

    private readonly Random _random = new(seed);

    /// <summary>Fills one trajectory: observations, actions, rewards and each step's return-to-go.</summary>
    public void Next(Span<float> observations, Span<float> actions, Span<float> rewards, Span<float> returnsToGo)
    {
        Span<float> state = stackalloc float[ObservationSize];
        for (var i = 0; i < ObservationSize; i++)
            state[i] = (float)(_random.NextDouble() - 0.5);
        for (var t = 0; t < Length; t++)
        {
            for (var i = 0; i < ObservationSize; i++)
            {
                state[i] += (float)((_random.NextDouble() - 0.5) * 0.1);
                observations[t * ObservationSize + i] = state[i];
            }
            for (var i = 0; i < ActionSize; i++)
                actions[t * ActionSize + i] = (float)Math.Tanh(state[i] + _random.NextDouble() - 0.5);
            rewards[t] = 1f + 0.5f * state[0] * state[0];
        }
        // Return-to-go: what the rest of the episode earns from each step on, the decision transformer's
        // conditioning signal. Known only once the episode ends, so the actor computes it then.
        float remaining = 0;
        for (var t = Length - 1; t >= 0; t--)
        {
            remaining += rewards[t];
            returnsToGo[t] = remaining;
        }
    }
}
