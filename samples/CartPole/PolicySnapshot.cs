namespace Gear.Samples.CartPole;

/// <summary>
/// The learner's latest network parameters, published for the actors: they copy a new version when one
/// appears (between episodes), so they act with a recent policy without locking the learner.
/// </summary>
public sealed class PolicySnapshot(int parameterCount)
{
    private readonly object _gate = new();
    private readonly float[] _parameters = new float[parameterCount];
    private int _version;

    /// <summary>Increments with every publish.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Publishes <paramref name="parameters"/> as the newest policy.</summary>
    public void Publish(ReadOnlySpan<float> parameters)
    {
        lock (_gate)
        {
            parameters.CopyTo(_parameters);
            _version++;
        }
    }

    /// <summary>Copies the newest policy into <paramref name="parameters"/>; returns its version.</summary>
    public int CopyTo(Span<float> parameters)
    {
        lock (_gate)
        {
            _parameters.CopyTo(parameters);
            return _version;
        }
    }
}
