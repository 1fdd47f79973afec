namespace Gear.Samples.CartPole;

/// <summary>
/// The classic cart-pole balancing task (Barto, Sutton and Anderson 1983, with the constants everyone uses):
/// push the cart left or right to keep the pole upright. Reward 1 per step; an episode ends when the pole
/// leans past 12°, the cart leaves ±2.4, or after <see cref="MaxSteps"/> steps.
/// </summary>
public sealed class CartPoleEnvironment
{
    /// <summary>Steps after which an episode is cut off (the usual v1 limit).</summary>
    public const int MaxSteps = 500;

    /// <summary>Values in an observation: cart position, cart velocity, pole angle, pole angular velocity.</summary>
    public const int ObservationSize = 4;

    /// <summary>Actions: 0 pushes left, 1 pushes right.</summary>
    public const int ActionCount = 2;

    private const double Gravity = 9.8;
    private const double CartMass = 1.0;
    private const double PoleMass = 0.1;
    private const double TotalMass = CartMass + PoleMass;
    private const double HalfPoleLength = 0.5;
    private const double PoleMassLength = PoleMass * HalfPoleLength;
    private const double ForceMagnitude = 10.0;
    private const double TimeStep = 0.02;
    private const double AngleLimit = 12 * 2 * Math.PI / 360;
    private const double PositionLimit = 2.4;

    private readonly Random _random;
    private double _x, _xDot, _theta, _thetaDot;
    private int _steps;

    /// <summary>Creates an environment whose starts come from <paramref name="seed"/>.</summary>
    public CartPoleEnvironment(int seed) => _random = new Random(seed);

    /// <summary>Starts an episode: every state variable uniform in ±0.05.</summary>
    public void Reset(Span<float> observation)
    {
        _x = Small();
        _xDot = Small();
        _theta = Small();
        _thetaDot = Small();
        _steps = 0;
        Observe(observation);
    }

    /// <summary>Applies <paramref name="action"/>; returns whether the episode ended (failed or cut off).</summary>
    public bool Step(int action, Span<float> observation, out bool failed)
    {
        var force = action == 1 ? ForceMagnitude : -ForceMagnitude;
        var cos = Math.Cos(_theta);
        var sin = Math.Sin(_theta);
        var temp = (force + PoleMassLength * _thetaDot * _thetaDot * sin) / TotalMass;
        var thetaAcc = (Gravity * sin - cos * temp) / (HalfPoleLength * (4.0 / 3.0 - PoleMass * cos * cos / TotalMass));
        var xAcc = temp - PoleMassLength * thetaAcc * cos / TotalMass;
        _x += TimeStep * _xDot;
        _xDot += TimeStep * xAcc;
        _theta += TimeStep * _thetaDot;
        _thetaDot += TimeStep * thetaAcc;
        _steps++;
        Observe(observation);
        failed = Math.Abs(_x) > PositionLimit || Math.Abs(_theta) > AngleLimit;
        return failed || _steps >= MaxSteps;
    }

    private void Observe(Span<float> observation)
    {
        observation[0] = (float)_x;
        observation[1] = (float)_xDot;
        observation[2] = (float)_theta;
        observation[3] = (float)_thetaDot;
    }

    private double Small() => _random.NextDouble() * 0.1 - 0.05;
}
