namespace Gear.Samples.CartPole;

/// <summary>The mean return of greedy episodes (no exploration) played with a copy of the network.</summary>
public sealed class GreedyEvaluation(int episodes, int seed)
{
    private readonly Mlp _network = QNetwork.Create(seed: 0);
    private readonly CartPoleEnvironment _environment = new(seed);
    private readonly float[] _observation = new float[CartPoleEnvironment.ObservationSize];
    private Mlp.Workspace? _workspace;

    /// <summary>Plays <c>episodes</c> greedy episodes with <paramref name="parameters"/>; returns the mean return.</summary>
    public double MeanReturn(ReadOnlySpan<float> parameters)
    {
        parameters.CopyTo(_network.Parameters);
        _workspace ??= _network.CreateWorkspace(1);
        double total = 0;
        for (var e = 0; e < episodes; e++)
        {
            _environment.Reset(_observation);
            bool ended;
            do
            {
                var q = _network.Forward(_observation, 1, _workspace);
                ended = _environment.Step(q[1] > q[0] ? 1 : 0, _observation, out _);
                total++;
            }
            while (!ended);
        }
        return total / episodes;
    }
}
