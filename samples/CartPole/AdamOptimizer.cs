namespace Gear.Samples.CartPole;

/// <summary>Adam (Kingma and Ba) over a flat parameter array, with gradient-norm clipping.</summary>
public sealed class AdamOptimizer(int parameterCount, float learningRate, float maxGradientNorm = 10f)
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    private readonly float[] _firstMoment = new float[parameterCount];
    private readonly float[] _secondMoment = new float[parameterCount];
    private int _steps;

    /// <summary>One update of <paramref name="parameters"/> along <paramref name="gradients"/>.</summary>
    public void Step(Span<float> parameters, Span<float> gradients)
    {
        double norm = 0;
        foreach (var g in gradients)
            norm += g * g;
        norm = Math.Sqrt(norm);
        var clip = norm > maxGradientNorm ? (float)(maxGradientNorm / norm) : 1f;

        _steps++;
        var correction1 = 1 - MathF.Pow(Beta1, _steps);
        var correction2 = 1 - MathF.Pow(Beta2, _steps);
        for (var i = 0; i < parameters.Length; i++)
        {
            var g = gradients[i] * clip;
            _firstMoment[i] = Beta1 * _firstMoment[i] + (1 - Beta1) * g;
            _secondMoment[i] = Beta2 * _secondMoment[i] + (1 - Beta2) * g * g;
            var m = _firstMoment[i] / correction1;
            var v = _secondMoment[i] / correction2;
            parameters[i] -= learningRate * m / (MathF.Sqrt(v) + Epsilon);
        }
    }
}
