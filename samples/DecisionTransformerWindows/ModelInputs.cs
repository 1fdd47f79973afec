namespace Gear.Samples.DecisionTransformerWindows;

/// <summary>
/// What a decision transformer consumes for one batch: per window, L returns-to-go, states and actions, the
/// timestep of each position, and an attention mask that hides padding. Filled from a sampled batch into
/// arrays allocated once.
/// </summary>
public sealed class ModelInputs(int batchSize, int context, int observationSize, int actionSize)
{
    /// <summary>B × L returns-to-go.</summary>
    public float[] ReturnsToGo { get; } = new float[batchSize * context];

    /// <summary>B × L × observation values.</summary>
    public float[] States { get; } = new float[batchSize * context * observationSize];

    /// <summary>B × L × action values.</summary>
    public float[] Actions { get; } = new float[batchSize * context * actionSize];

    /// <summary>B × L timesteps (the step of the trajectory at each position; 0 at padding).</summary>
    public int[] Timesteps { get; } = new int[batchSize * context];

    /// <summary>B × L: 1 where the position holds a real step, 0 at padding.</summary>
    public byte[] AttentionMask { get; } = new byte[batchSize * context];

    /// <summary>Copies a batch's windows into the model's inputs and checks that returns-to-go are consistent.</summary>
    public void Fill(Gear.Client.SampleBatch batch)
    {
        batch.Column<float>("return_to_go").CopyTo(ReturnsToGo);
        batch.Column<float>("observation").CopyTo(States);
        batch.Column<float>("action").CopyTo(Actions);
        batch.Mask.CopyTo(AttentionMask);
        var rewards = batch.Column<float>("reward");
        for (var w = 0; w < batch.BatchSize; w++)
        {
            for (var p = 0; p < context; p++)
            {
                var i = w * context + p;
                Timesteps[i] = AttentionMask[i] == 1 ? batch.StartSteps[w] + p : 0;
                // Consecutive real steps: the return-to-go drops by the reward in between (up to float rounding
                // of the running sum).
                if (p + 1 < context && AttentionMask[i] == 1 && AttentionMask[i + 1] == 1
                    && Math.Abs(ReturnsToGo[i] - ReturnsToGo[i + 1] - rewards[i]) > 1e-3f * Math.Max(1f, ReturnsToGo[i]))
                    throw new InvalidOperationException($"window {w}: return-to-go at position {p} does not match its reward");
            }
        }
    }
}
