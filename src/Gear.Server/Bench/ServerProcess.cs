using System.Text.RegularExpressions;

namespace Gear.Server.Bench;

/// <summary>
/// The <c>gear serve</c> child the workloads run against: a config file with the workloads' tables in a temp
/// directory, every listener on a loopback port the system picks, and the gRPC address read from its output.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly string _directory;

    private ServerProcess(ChildProcess child, string directory, Uri grpcAddress, Uri adminAddress)
    {
        _child = child;
        _directory = directory;
        GrpcAddress = grpcAddress;
        AdminAddress = adminAddress;
    }

    /// <summary>The address the server printed, e.g. http://127.0.0.1:41234.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>The admin listener's address (dashboard, /api/v1, /metrics), as the server printed it.</summary>
    public Uri AdminAddress { get; }

    /// <summary>The server's process id.</summary>
    public int Id => _child.Id;

    /// <summary>Starts a server with <paramref name="tables"/> and waits until it serves them.</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<BenchTable> tables, CancellationToken cancellation)
    {
        var directory = Directory.CreateTempSubdirectory("gear-bench-").FullName;
        var config = Path.Combine(directory, "gear.json");
        await File.WriteAllTextAsync(config, BenchTable.ConfigJson(tables), cancellation);
        var child = ChildProcess.Start("serve", "--config", config,
            "--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0");
        try
        {
            var timeout = TimeSpan.FromSeconds(60);
            await child.WaitForLineAsync(ReadyLine(), timeout, cancellation);
            var address = await child.WaitForLineAsync(GrpcLine(), timeout, cancellation);
            var admin = await child.WaitForLineAsync(AdminLine(), timeout, cancellation);
            return new ServerProcess(child, directory, new Uri(address.Groups[1].Value), new Uri(admin.Groups[1].Value));
        }
        catch
        {
            child.Dispose();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Stops the server with SIGTERM, as an orchestrator would, and removes its config.</summary>
    public async ValueTask DisposeAsync()
    {
        await _child.TerminateAsync(TimeSpan.FromSeconds(15));
        _child.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [GeneratedRegex(@"ready: serving")]
    private static partial Regex ReadyLine();

    [GeneratedRegex(@"\bgRPC listening on (https?://\S+)")]
    private static partial Regex GrpcLine();

    [GeneratedRegex(@"\badmin listening on (https?://\S+)")]
    private static partial Regex AdminLine();
}
