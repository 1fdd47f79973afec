using System.CommandLine;
using Gear.Server.Hosting;

namespace Gear.Server;

/// <summary>The <c>gear</c> command line.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Gear: a GPU-centric experience replay service for reinforcement learning.")
        {
            ServeCommand.Create(),
            Bench.BenchCommand.Create(),
            Cli.InfoCommand.Create(),
            Cli.SelfTestCommand.Create(),
            Cli.CheckpointCommand.Create(),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Usage errors share the invalid-configuration exit code: both mean "fix the command, then retry".
            foreach (var problem in parse.Errors)
                await Console.Error.WriteLineAsync($"gear: {problem.Message}");
            await Console.Error.WriteLineAsync("Run 'gear --help' or 'gear serve --help' for usage.");
            return ExitCodes.InvalidConfiguration;
        }

        // The server handles SIGTERM and Ctrl-C itself (graceful drain); System.CommandLine must not race it.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
