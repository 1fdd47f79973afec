namespace Gear.Samples.CartPole;

/// <summary>ε of ε-greedy exploration: linear from 1 to <see cref="Final"/> over the first env steps, then flat.</summary>
public sealed class ExplorationSchedule(long decaySteps, double final = 0.02)
{
    private long _steps;

    /// <summary>ε after all decay.</summary>
    public double Final => final;

    /// <summary>Env steps taken by all actors together.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>Counts one env step and returns the ε to act with.</summary>
    public double NextEpsilon()
    {
        var steps = Interlocked.Increment(ref _steps);
        return steps >= decaySteps ? final : 1 - (1 - final) * steps / decaySteps;
    }
}
