using System.Runtime.Intrinsics;
using Gear.Core.Errors;

namespace Gear.Core.Selection;

/// <summary>
/// Importance-sampling weights that correct the bias of prioritized selection (Schaul et al., PER):
/// w_i = (N · P(i))^−β, divided by the largest w in the batch so that the largest weight is exactly 1.
/// </summary>
/// <remarks>
/// Normalising by the batch maximum (as the PER paper and most implementations do) keeps weights in (0, 1],
/// so they only ever scale updates down; the alternative, normalising by the weight of the least likely item
/// in the whole table, would need a min-tree and changes little in practice. Because the normaliser is the
/// weight of the least likely item of the batch, w_i / max w = (P_min / P(i))^β; that form is what is
/// computed, since it cannot overflow where (N · P(i))^−β would for tiny probabilities, and N cancels out.
/// β = 0 gives weights of exactly 1.
/// </remarks>
public static class ImportanceWeights
{
    /// <summary>Writes one weight per probability.</summary>
    /// <param name="probabilities">The selection probabilities of a batch, each in (0, 1].</param>
    /// <param name="itemCount">N, the number of items the batch was selected from (at least 1).</param>
    /// <param name="beta">The exponent β, finite and non-negative (usually annealed from about 0.4 to 1).</param>
    /// <param name="weights">Receives the weights; at least as long as <paramref name="probabilities"/>.</param>
    /// <exception cref="GearException">An argument is out of range.</exception>
    public static void Compute(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights)
    {
        CheckScalars(probabilities.Length, itemCount, beta, weights.Length);
        double smallest = CheckedSmallest(probabilities);
        weights = weights[..probabilities.Length];
        if (beta == 0)
        {
            weights.Fill(1.0);
            return;
        }

        for (int i = 0; i < probabilities.Length; i++)
        {
            weights[i] = smallest / probabilities[i];
        }

        Powers.Pow(weights, beta, weights);
    }

    /// <summary>
    /// The argument checks of <see cref="Compute"/>, shared with the device's weights (Compute/Cuda/DeviceSelection),
    /// which must refuse exactly what the CPU refuses.
    /// </summary>
    /// <exception cref="GearException">An argument is out of range.</exception>
    internal static void Check(ReadOnlySpan<double> probabilities, int itemCount, double beta, int weightsLength)
    {
        CheckScalars(probabilities.Length, itemCount, beta, weightsLength);
        CheckedSmallest(probabilities);
    }

    private static void CheckScalars(int probabilityCount, int itemCount, double beta, int weightsLength)
    {
        if (itemCount < 1)
        {
            throw new GearException(GearErrorCode.InvalidArgument, $"Item count must be at least 1; got {itemCount}.");
        }

        if (!(beta >= 0 && beta <= double.MaxValue))
        {
            throw new GearException(GearErrorCode.InvalidArgument,
                $"Importance-weight exponent beta must be finite and non-negative; got {beta}.");
        }

        if (weightsLength < probabilityCount)
        {
            throw new GearException(GearErrorCode.InvalidArgument,
                $"Need room for {probabilityCount} weights; got {weightsLength}.");
        }
    }

    /// <summary>
    /// The smallest probability, after checking that each lies in (0, 1]. One vectorized pass does both: this
    /// runs on every sample, under the table's lock, and β = 0 (uniform tables) needs nothing else.
    /// </summary>
    private static double CheckedSmallest(ReadOnlySpan<double> probabilities)
    {
        var smallest = Vector256.Create(double.PositiveInfinity);
        var outside = Vector256<double>.Zero;
        var one = Vector256<double>.One;
        int i = 0;
        for (; i + Vector256<double>.Count <= probabilities.Length; i += Vector256<double>.Count)
        {
            var p = Vector256.Create(probabilities.Slice(i, Vector256<double>.Count));
            // NaN fails both comparisons, so it counts as outside.
            outside |= ~(Vector256.GreaterThan(p, Vector256<double>.Zero) & Vector256.LessThanOrEqual(p, one));
            smallest = Vector256.Min(smallest, p);
        }

        double least = double.PositiveInfinity;
        for (int k = 0; k < Vector256<double>.Count; k++)
        {
            least = Math.Min(least, smallest[k]);
        }

        bool allInside = outside == Vector256<double>.Zero;
        for (; i < probabilities.Length; i++)
        {
            double p = probabilities[i];
            allInside &= p > 0 && p <= 1;
            least = Math.Min(least, p);
        }

        if (!allInside)
        {
            ThrowFirstOutside(probabilities);
        }

        return least;
    }

    private static void ThrowFirstOutside(ReadOnlySpan<double> probabilities)
    {
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = probabilities[i];
            if (!(p > 0 && p <= 1))
            {
                throw new GearException(GearErrorCode.InvalidArgument,
                    $"Selection probability {i} must lie in (0, 1]; got {p}.");
            }
        }
    }
}
