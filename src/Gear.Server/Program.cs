using System.CommandLine;

namespace Gear.Server;

/// <summary>The `gear` command line.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static int Main(string[] args)
    {
        var serve = new Command("serve", "Start the replay service.");
        serve.SetAction(_ =>
        {
            // The service (gRPC on Kestrel, admin HTTP, data plane) is the next issue. Until it lands this
            // command says so plainly rather than pretending to serve.
            Console.Error.WriteLine(
                "gear serve: the replay service is not built yet. The storage engine (Gear.Core) is ready; " +
                "the gRPC service lands with the service issue.");
            return 2;
        });

        var root = new RootCommand("Gear: a GPU-centric experience replay service for reinforcement learning.")
        {
            serve,
        };
        return root.Parse(args).Invoke();
    }
}
