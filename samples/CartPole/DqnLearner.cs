using Gear.Client;

namespace Gear.Samples.CartPole;

/// <summary>
/// Double DQN with prioritized replay: for each batch of transitions (2-step windows) it computes TD targets
/// with a target network, takes one Adam step on the importance-weighted Huber loss, and returns |TD error| as
/// the transitions' new priorities. The target network follows the online one every
/// <see cref="TargetUpdateInterval"/> updates.
/// </summary>
public sealed class DqnLearner
{
    /// <summary>Updates between copies of the online network into the target network.</summary>
    public const int TargetUpdateInterval = 250;

    private const float Discount = 0.99f;
    private const int Obs = CartPoleEnvironment.ObservationSize;
    private const int Actions = CartPoleEnvironment.ActionCount;

    private readonly Mlp _target;
    private readonly AdamOptimizer _optimizer;
    private readonly Mlp.Workspace _onlineNext;
    private readonly Mlp.Workspace _targetNext;
    private readonly Mlp.Workspace _online;
    private readonly float[] _states;
    private readonly float[] _nextStates;
    private readonly float[] _targets;
    private readonly float[] _outputGradients;
    private readonly float[] _gradients;
    private readonly double[] _priorities;

    /// <summary>Creates a learner for batches of up to <paramref name="batchSize"/> transitions.</summary>
    public DqnLearner(Mlp online, int batchSize, float learningRate)
    {
        Online = online;
        _target = QNetwork.Create(seed: 0);
        online.Parameters.CopyTo(_target.Parameters, 0);
        _optimizer = new AdamOptimizer(online.Parameters.Length, learningRate);
        _online = online.CreateWorkspace(batchSize);
        _onlineNext = online.CreateWorkspace(batchSize);
        _targetNext = _target.CreateWorkspace(batchSize);
        _states = new float[batchSize * Obs];
        _nextStates = new float[batchSize * Obs];
        _targets = new float[batchSize];
        _outputGradients = new float[batchSize * Actions];
        _gradients = new float[online.Parameters.Length];
        _priorities = new double[batchSize];
    }

    /// <summary>The network being trained.</summary>
    public Mlp Online { get; }

    /// <summary>Updates taken so far.</summary>
    public long Updates { get; private set; }

    /// <summary>One update from <paramref name="batch"/>; returns each transition's new priority.</summary>
    public ReadOnlySpan<double> Train(SampleBatch batch)
    {
        var count = batch.BatchSize;
        var observations = batch.Column<float>("obs");     // B × 2 × 4
        var actions = batch.Column<int>("action");         // B × 2
        var rewards = batch.Column<float>("reward");       // B × 2
        var terminal = batch.Column<bool>("terminal");     // B × 2
        var weights = batch.ImportanceWeights;
        for (var i = 0; i < count; i++)
        {
            observations.Slice(i * 2 * Obs, Obs).CopyTo(_states.AsSpan(i * Obs));
            observations.Slice(i * 2 * Obs + Obs, Obs).CopyTo(_nextStates.AsSpan(i * Obs));
        }

        // Double DQN: the online network picks the next action, the target network values it.
        var nextOnline = Online.Forward(_nextStates, count, _onlineNext);
        var nextTarget = _target.Forward(_nextStates, count, _targetNext);
        for (var i = 0; i < count; i++)
        {
            var best = nextOnline[i * Actions + 1] > nextOnline[i * Actions] ? 1 : 0;
            var bootstrap = terminal[i * 2] ? 0 : Discount * nextTarget[i * Actions + best];
            _targets[i] = rewards[i * 2] + bootstrap;
        }

        var q = Online.Forward(_states, count, _online);
        Array.Clear(_outputGradients);
        for (var i = 0; i < count; i++)
        {
            var action = actions[i * 2];
            var error = q[i * Actions + action] - _targets[i];
            // Huber loss (δ = 1): its gradient is the error, clipped to ±1.
            var gradient = Math.Clamp(error, -1f, 1f);
            _outputGradients[i * Actions + action] = (float)(weights[i] * gradient / count);
            _priorities[i] = Math.Abs(error) + 1e-3;
        }
        Online.Backward(_outputGradients, count, _online, _gradients);
        _optimizer.Step(Online.Parameters, _gradients);

        if (++Updates % TargetUpdateInterval == 0)
            Online.Parameters.CopyTo(_target.Parameters, 0);
        return _priorities.AsSpan(0, count);
    }
}
