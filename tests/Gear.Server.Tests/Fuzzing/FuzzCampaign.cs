using System.Diagnostics;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Runs one fuzz target: feeds it mutated inputs until the budget's input count or time limit, checks the
/// target's invariants after every batch, and fails with the seed, the input numbers and the first problems
/// found, so each failure can be replayed. Prints a summary line that the recorded long run quotes.
/// </summary>
internal static class FuzzCampaign
{
    /// <summary>Inputs between invariant checks.</summary>
    public const int BatchSize = 100;

    /// <summary>
    /// Runs <paramref name="input"/> (given the mutator and the input number; returns a problem, or null when
    /// the outcome was a defined one) and <paramref name="checkBatch"/> (throws when an invariant is broken).
    /// </summary>
    public static async Task RunAsync(string target, FuzzBudget budget, Func<Mutator, int, Task<string?>> input, Func<Task>? checkBatch = null)
    {
        var mutator = new Mutator(budget.Seed);
        var problems = new List<string>();
        var clock = Stopwatch.StartNew();
        var count = 0;
        while (count < budget.Inputs && clock.Elapsed < budget.TimeLimit)
        {
            if (await input(mutator, count).ConfigureAwait(false) is { } problem)
                problems.Add($"input {count}: {problem}");
            count++;
            if (count % BatchSize == 0 && checkBatch is not null)
                await checkBatch().ConfigureAwait(false);
        }
        if (checkBatch is not null)
            await checkBatch().ConfigureAwait(false);
        Console.WriteLine($"fuzz {target}: {count} inputs in {clock.Elapsed.TotalSeconds:0.0} s (seed {budget.Seed}), {problems.Count} problems");
        Assert.AreEqual(0, problems.Count, $"{target}, seed {budget.Seed}:\n" + string.Join("\n", problems.Take(10)));
        Assert.IsTrue(count >= Math.Min(budget.Inputs, BatchSize), $"{target}: only {count} inputs ran within {budget.TimeLimit}");
    }

    /// <summary>
    /// An unexpected exception in one line: its type, message and the first frame in Gear's code (framework
    /// throw helpers say little); the input itself is replayed from the seed and input number.
    /// </summary>
    public static string Describe(Exception e)
    {
        var frames = e.StackTrace?.Split('\n').Select(f => f.Trim()) ?? [];
        return $"{e.GetType().Name}: {e.Message} {frames.FirstOrDefault(f => f.StartsWith("at Gear.", StringComparison.Ordinal)) ?? frames.FirstOrDefault()}";
    }

    /// <summary>The synchronous form, for targets that parse files or text.</summary>
    public static void Run(string target, FuzzBudget budget, Func<Mutator, int, string?> input) =>
        RunAsync(target, budget, (mutator, i) => Task.FromResult(input(mutator, i))).GetAwaiter().GetResult();
}
