namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// How much one fuzz target runs. The default suite runs each target briefly; the recorded long run sets
/// <c>GEAR_FUZZ_INPUTS</c> (inputs per target) and <c>GEAR_FUZZ_SECONDS</c> (time limit per target), and
/// <c>GEAR_FUZZ_SEED</c> replays another seed.
/// </summary>
internal sealed record FuzzBudget(int Inputs, TimeSpan TimeLimit, int Seed)
{
    /// <summary>Time limit per target in the default suite: the whole fuzzing set stays well under a minute.</summary>
    private static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(15);

    /// <summary>The budget for a target that runs <paramref name="defaultInputs"/> inputs in the default suite.</summary>
    public static FuzzBudget For(int defaultInputs, int defaultSeed) => new(
        Read("GEAR_FUZZ_INPUTS") ?? defaultInputs,
        Read("GEAR_FUZZ_SECONDS") is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeLimit,
        Read("GEAR_FUZZ_SEED") ?? defaultSeed);

    private static int? Read(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var value) && value > 0 ? value : null;
}
