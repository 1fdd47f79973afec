namespace Gear.Samples.CartPole;

/// <summary>
/// A small fully connected network (ReLU hidden layers, linear output) with its own forward and backward pass
/// over a batch, written out so the sample needs nothing but the framework. Parameters live in one flat
/// array so that copying a network (the target network, the actors' policy) is one array copy.
/// </summary>
public sealed class Mlp
{
    private readonly int[] _sizes;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    /// <summary>Creates a network with layer sizes <paramref name="sizes"/> (input first), He-initialised.</summary>
    public Mlp(int[] sizes, int seed)
    {
        _sizes = sizes;
        _weightOffsets = new int[sizes.Length - 1];
        _biasOffsets = new int[sizes.Length - 1];
        var count = 0;
        for (var l = 0; l < sizes.Length - 1; l++)
        {
            _weightOffsets[l] = count;
            count += sizes[l] * sizes[l + 1];
            _biasOffsets[l] = count;
            count += sizes[l + 1];
        }
        Parameters = new float[count];
        var random = new Random(seed);
        for (var l = 0; l < sizes.Length - 1; l++)
        {
            var scale = Math.Sqrt(2.0 / sizes[l]);
            for (var i = 0; i < sizes[l] * sizes[l + 1]; i++)
                Parameters[_weightOffsets[l] + i] = (float)(Gaussian(random) * scale);
        }
    }

    /// <summary>Every weight and bias, layer by layer (weights [in, out] row-major, then biases).</summary>
    public float[] Parameters { get; }

    /// <summary>Inputs per example.</summary>
    public int InputSize => _sizes[0];

    /// <summary>Outputs per example.</summary>
    public int OutputSize => _sizes[^1];

    /// <summary>Scratch for a forward and backward pass over batches of up to <paramref name="batchSize"/>.</summary>
    public Workspace CreateWorkspace(int batchSize) => new(_sizes, batchSize);

    /// <summary>Outputs for <paramref name="count"/> inputs (row-major); the result lives in the workspace.</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> inputs, int count, Workspace workspace)
    {
        inputs[..(count * _sizes[0])].CopyTo(workspace.Activations[0]);
        for (var l = 0; l < _sizes.Length - 1; l++)
        {
            int inSize = _sizes[l], outSize = _sizes[l + 1];
            var input = workspace.Activations[l];
            var output = workspace.Activations[l + 1];
            var weights = Parameters.AsSpan(_weightOffsets[l], inSize * outSize);
            var bias = Parameters.AsSpan(_biasOffsets[l], outSize);
            var hidden = l < _sizes.Length - 2;
            for (var n = 0; n < count; n++)
            {
                var row = output.AsSpan(n * outSize, outSize);
                bias.CopyTo(row);
                for (var i = 0; i < inSize; i++)
                {
                    var x = input[n * inSize + i];
                    if (x == 0)
                        continue;
                    var w = weights.Slice(i * outSize, outSize);
                    for (var o = 0; o < outSize; o++)
                        row[o] += x * w[o];
                }
                if (hidden)
                {
                    for (var o = 0; o < outSize; o++)
                        row[o] = Math.Max(0, row[o]);
                }
            }
        }
        return workspace.Activations[^1].AsSpan(0, count * OutputSize);
    }

    /// <summary>
    /// Gradients of the loss with respect to every parameter, given the loss's gradient with respect to the
    /// outputs of the last <see cref="Forward"/> on the same workspace. Written into <paramref name="gradients"/>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> outputGradients, int count, Workspace workspace, Span<float> gradients)
    {
        gradients.Clear();
        outputGradients[..(count * OutputSize)].CopyTo(workspace.Deltas[^1]);
        for (var l = _sizes.Length - 2; l >= 0; l--)
        {
            int inSize = _sizes[l], outSize = _sizes[l + 1];
            var input = workspace.Activations[l];
            var delta = workspace.Deltas[l + 1];
            var weightGradients = gradients.Slice(_weightOffsets[l], inSize * outSize);
            var biasGradients = gradients.Slice(_biasOffsets[l], outSize);
            var weights = Parameters.AsSpan(_weightOffsets[l], inSize * outSize);
            var previous = workspace.Deltas[l];
            for (var n = 0; n < count; n++)
            {
                var d = delta.AsSpan(n * outSize, outSize);
                for (var o = 0; o < outSize; o++)
                    biasGradients[o] += d[o];
                for (var i = 0; i < inSize; i++)
                {
                    var x = input[n * inSize + i];
                    var w = weights.Slice(i * outSize, outSize);
                    var g = weightGradients.Slice(i * outSize, outSize);
                    float back = 0;
                    for (var o = 0; o < outSize; o++)
                    {
                        g[o] += x * d[o];
                        back += w[o] * d[o];
                    }
                    // ReLU: the gradient flows only where the unit was active (its output is the next input).
                    if (l > 0)
                        previous[n * inSize + i] = x > 0 ? back : 0;
                }
            }
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Activations and deltas of every layer for one batch size, reused across steps.</summary>
    public sealed class Workspace
    {
        internal Workspace(int[] sizes, int batchSize)
        {
            Activations = sizes.Select(s => new float[s * batchSize]).ToArray();
            Deltas = sizes.Select(s => new float[s * batchSize]).ToArray();
        }

        internal float[][] Activations { get; }

        internal float[][] Deltas { get; }
    }
}
