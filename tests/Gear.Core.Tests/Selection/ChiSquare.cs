namespace Gear.Core.Tests.Selection;

/// <summary>
/// Pearson's chi-square goodness-of-fit test, with the critical value computed (not looked up): the
/// Wilson–Hilferty approximation of the chi-square quantile, from a normal quantile found by bisection on a
/// complementary error function accurate to about 1e-7.
/// </summary>
internal static class ChiSquare
{
    /// <summary>The significance level used by the distribution tests.</summary>
    public const double Alpha = 0.001;

    /// <summary>Σ (observed − expected)² / expected over the cells with positive expectation.</summary>
    public static double Statistic(ReadOnlySpan<long> observed, ReadOnlySpan<double> probabilities, long draws)
    {
        double statistic = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            if (probabilities[i] > 0)
            {
                double expected = probabilities[i] * draws;
                double difference = observed[i] - expected;
                statistic += difference * difference / expected;
            }
        }

        return statistic;
    }

    /// <summary>The value that a chi-square variable with <paramref name="degreesOfFreedom"/> exceeds with
    /// probability <paramref name="upperTail"/> (Wilson–Hilferty).</summary>
    public static double CriticalValue(int degreesOfFreedom, double upperTail)
    {
        double k = degreesOfFreedom;
        double z = NormalUpperQuantile(upperTail);
        double c = 2.0 / (9.0 * k);
        double cube = 1 - c + (z * Math.Sqrt(c));
        return k * cube * cube * cube;
    }

    /// <summary>z with P(Z &gt; z) = <paramref name="upperTail"/> for a standard normal Z.</summary>
    public static double NormalUpperQuantile(double upperTail)
    {
        double lo = -10, hi = 10;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (NormalUpperTail(mid) > upperTail)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }

    /// <summary>P(Z &gt; z) = erfc(z / √2) / 2.</summary>
    public static double NormalUpperTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    /// <summary>Complementary error function (Numerical Recipes' Chebyshev fit, relative error &lt; 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + (0.5 * z));
        ReadOnlySpan<double> c =
        [
            -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
            0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
        ];
        double poly = 0;
        for (int i = c.Length - 1; i >= 0; i--)
        {
            poly = c[i] + (t * poly);
        }

        double r = t * Math.Exp(-(z * z) + poly);
        return x >= 0 ? r : 2 - r;
    }
}
