using Gear.Client;

namespace Gear.Samples.CartPole;

/// <summary>
/// One actor: plays episodes ε-greedily with the newest published policy and writes each episode through a
/// TrajectoryWriter. An episode of T transitions is T + 1 steps (the last holds only the final observation,
/// with priority 0 so it is never chosen), so a 2-step window starting at any chosen step is one transition
/// (s, a, r, terminal, s').
/// </summary>
public sealed class Actor(int id, Mlp policy, PolicySnapshot snapshot, ExplorationSchedule exploration, SharedPriorities priorities)
{
    private readonly CartPoleEnvironment _environment = new(seed: 1000 + id);
    private readonly Random _random = new(id);
    private readonly Mlp.Workspace _workspace = policy.CreateWorkspace(1);
    private readonly float[] _observation = new float[CartPoleEnvironment.ObservationSize];
    private readonly List<double> _stepPriorities = new(CartPoleEnvironment.MaxSteps + 1);
    private int _version = -1;

    /// <summary>Episodes finished.</summary>
    public int Episodes { get; private set; }

    /// <summary>Plays and writes episodes until <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(TrajectoryWriter writer, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            if (snapshot.Version != _version)
                _version = snapshot.CopyTo(policy.Parameters);
            var trajectory = await writer.BeginTrajectoryAsync(stopping);
            _stepPriorities.Clear();
            _environment.Reset(_observation);
            var newPriority = priorities.Max;
            bool ended;
            do
            {
                var action = ChooseAction(exploration.NextEpsilon());
                trajectory.Append<float>("obs", _observation);
                ended = _environment.Step(action, _observation, out var failed);
                trajectory.Append("action", action).Append("reward", 1f).Append("terminal", failed);
                await trajectory.CommitStepsAsync(stopping);
                _stepPriorities.Add(newPriority);
            }
            while (!ended);
            // The final observation, as a step of its own that is never a transition's start.
            trajectory.Append<float>("obs", _observation).Append("action", -1).Append("reward", 0f).Append("terminal", false);
            await trajectory.CommitStepsAsync(stopping);
            _stepPriorities.Add(0);
            // Not awaited: the next episode starts while this one is acknowledged (the writer bounds how many wait).
            _ = trajectory.EndAsync(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_stepPriorities));
            Episodes++;
        }
    }

    private int ChooseAction(double epsilon)
    {
        if (_random.NextDouble() < epsilon)
            return _random.Next(CartPoleEnvironment.ActionCount);
        var q = policy.Forward(_observation, 1, _workspace);
        return q[1] > q[0] ? 1 : 0;
    }
}
