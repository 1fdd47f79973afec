using System.Globalization;

namespace Gear.Samples.CartPole;

/// <summary>The sample's command line.</summary>
public sealed record CartPoleOptions(
    Uri? Server, double Seconds, double Target, bool ExpectTarget, int Actors, string SvgPath, int Seed, double EvaluationInterval)
{
    private const string Usage = """
        usage: CartPole [--server URL] [--seconds N] [--target R] [--expect-target] [--actors N] [--svg PATH] [--seed N] [--eval-interval S]
          --server URL       use a running gear serve (default: start one on loopback)
          --seconds N        training budget in seconds (default 300)
          --target R         stop once the mean greedy return over 10 episodes reaches R (default 150)
          --expect-target    exit with code 3 if the target is not reached within the budget
          --actors N         actor tasks (default 2)
          --svg PATH         where to write the learning curve (default cartpole-learning-curve.svg)
          --seed N           seed of the network's initialisation (default 1)
          --eval-interval S  seconds between greedy evaluations (default 5)
        """;

    /// <summary>The options, or null (usage printed) when the command line is wrong.</summary>
    public static CartPoleOptions? Parse(string[] args)
    {
        var options = new CartPoleOptions(null, 300, 150, false, 2, "cartpole-learning-curve.svg", 1, 5);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            try
            {
                options = args[i] switch
                {
                    "--server" => options with { Server = new Uri(Value()) },
                    "--seconds" => options with { Seconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--target" => options with { Target = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--expect-target" => options with { ExpectTarget = true },
                    "--actors" => options with { Actors = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--svg" => options with { SvgPath = Value() },
                    "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--eval-interval" => options with { EvaluationInterval = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    _ => throw new FormatException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is FormatException or OverflowException or UriFormatException)
            {
                Console.Error.WriteLine($"CartPole: {e.Message}\n{Usage}");
                return null;
            }
        }
        if (options.Actors < 1 || options.Seconds <= 0)
        {
            Console.Error.WriteLine($"CartPole: --actors must be at least 1 and --seconds positive\n{Usage}");
            return null;
        }
        return options;
    }
}
