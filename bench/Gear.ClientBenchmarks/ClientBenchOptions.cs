using System.Globalization;

namespace Gear.ClientBenchmarks;

/// <summary>Which measurements to take.</summary>
internal enum ClientBenchWorkload
{
    /// <summary>Client overhead and sharded sampling.</summary>
    All,

    /// <summary>W2 and W4 batches through BatchStream against the raw SampleStream.</summary>
    Overhead,

    /// <summary>Aggregate W2 batches through one client over 1, 2 and 3 servers.</summary>
    Sharded,
}

/// <summary>The benchmark's command line.</summary>
internal sealed record ClientBenchOptions(
    double DurationSeconds, double WarmupSeconds, int Rounds, ClientBenchWorkload Workload, string? JsonPath, double Scale)
{
    private const string Usage = """
        usage: Gear.ClientBenchmarks [--duration S] [--warmup S] [--rounds N] [--workload overhead|sharded|all] [--json PATH] [--scale F]
          --duration S   seconds each measurement counts (default 5)
          --warmup S     seconds each reader runs before it is counted (default 1)
          --rounds N     measurements of each path, alternating (raw, SDK, raw, SDK, ...) (default 4)
          --workload W   overhead, sharded or all (default all)
          --json PATH    also write the results as JSON to PATH
          --scale F      fraction of the standard table sizes to fill, for smoke tests (default 1)
        """;

    /// <summary>How long each measurement counts.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    /// <summary>How long each reader runs before it is counted.</summary>
    public TimeSpan Warmup => TimeSpan.FromSeconds(WarmupSeconds);

    /// <summary>Whether the client-overhead measurements run.</summary>
    public bool RunsOverhead => Workload is ClientBenchWorkload.All or ClientBenchWorkload.Overhead;

    /// <summary>Whether the sharded measurements run.</summary>
    public bool RunsSharded => Workload is ClientBenchWorkload.All or ClientBenchWorkload.Sharded;

    /// <summary>The options, or null (usage printed) when the command line is wrong.</summary>
    public static ClientBenchOptions? Parse(string[] args)
    {
        var options = new ClientBenchOptions(5, 1, 4, ClientBenchWorkload.All, null, 1);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            double Number() => double.Parse(Value(), CultureInfo.InvariantCulture);
            try
            {
                options = args[i] switch
                {
                    "--duration" => options with { DurationSeconds = Number() },
                    "--warmup" => options with { WarmupSeconds = Number() },
                    "--rounds" => options with { Rounds = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--workload" => options with { Workload = ParseWorkload(Value()) },
                    "--json" => options with { JsonPath = Value() },
                    "--scale" => options with { Scale = Number() },
                    _ => throw new FormatException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                Console.Error.WriteLine($"Gear.ClientBenchmarks: {e.Message}\n{Usage}");
                return null;
            }
        }
        if (!(options.DurationSeconds > 0) || !(options.WarmupSeconds >= 0) || options.Rounds < 1 || !(options.Scale > 0 && options.Scale <= 1))
        {
            Console.Error.WriteLine($"Gear.ClientBenchmarks: --duration must be positive, --warmup not negative, --rounds at least 1, --scale in (0, 1]\n{Usage}");
            return null;
        }
        return options;
    }

    private static ClientBenchWorkload ParseWorkload(string value) => value switch
    {
        "all" => ClientBenchWorkload.All,
        "overhead" => ClientBenchWorkload.Overhead,
        "sharded" => ClientBenchWorkload.Sharded,
        _ => throw new FormatException($"--workload must be overhead, sharded or all, not '{value}'"),
    };
}
