using System.CommandLine;
using System.Globalization;
using Gear.Core.Tables;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Checkpoints;
using Gear.Server.Hosting;

namespace Gear.Server.Cli;

/// <summary>
/// <c>gear checkpoint</c>: <c>create --server URL</c> asks a running server for a checkpoint (the Checkpoint
/// RPC, admin role); <c>list</c>, <c>inspect</c> and <c>verify</c> read a checkpoints directory offline.
/// Exit codes: 0 done (verify: every checkpoint valid), 1 a problem found (server unreachable or refused, a
/// checkpoint corrupt or missing), 2 usage.
/// </summary>
public static class CheckpointCommand
{
    /// <summary>Exit code when a checkpoint is corrupt or missing, or the server refused.</summary>
    public const int Problem = 1;

    private static readonly RemoteServerOptions Remote = new("gear checkpoint create", tokenRole: "admin", "Deadline of the call", defaultTimeoutSeconds: 300);
    private static readonly Option<string> DirectoryOption = new("--directory")
    { HelpName = "dir", Description = "The checkpoints directory (checkpoints.directory of the server's config).", Required = true };
    private static readonly Argument<string?> CheckpointArgument = new("checkpoint")
    { Description = "A checkpoint's name (ckpt-...) in --directory; default the newest.", Arity = ArgumentArity.ZeroOrOne };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var create = new Command("create", "Ask a running server to write a checkpoint now; prints its path.");
        foreach (var option in Remote.All)
            create.Options.Add(option);
        create.SetAction((parse, cancellation) => CreateAsync(parse, Console.Out, Console.Error, cancellation));
        var list = new Command("list", "List the checkpoints in a directory: time, tables, size.") { DirectoryOption };
        list.SetAction(parse => List(parse.GetValue(DirectoryOption)!, Console.Out, Console.Error));
        var inspect = new Command("inspect", "Show one checkpoint's tables (specs, items, steps, bytes).") { DirectoryOption, CheckpointArgument };
        inspect.SetAction(parse => Inspect(parse.GetValue(DirectoryOption)!, parse.GetValue(CheckpointArgument), Console.Out, Console.Error));
        var verify = new Command("verify", "Verify every checkpoint's checksums (or one, if named).") { DirectoryOption, CheckpointArgument };
        verify.SetAction(parse => Verify(parse.GetValue(DirectoryOption)!, parse.GetValue(CheckpointArgument), Console.Out, Console.Error));
        return new Command("checkpoint", "Create checkpoints on a server, or list, inspect and verify a checkpoints directory.")
        {
            create, list, inspect, verify,
        };
    }

    private static async Task<int> CreateAsync(ParseResult parse, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (await Remote.AddressAsync(parse, error) is not { } address)
            return ExitCodes.InvalidConfiguration;
        using var channel = GrpcChannel.ForAddress(address);
        try
        {
            var response = await channel.UnaryAsync(ReplayMethods.Checkpoint, new CheckpointRequest(), Remote.CallOptions(parse, cancellation));
            await output.WriteLineAsync(response.Path);
            return ExitCodes.Ok;
        }
        catch (RpcException e)
        {
            await error.WriteLineAsync($"gear checkpoint create: {address}: {e.StatusCode}: {e.Status.Detail}");
            return Problem;
        }
    }

    /// <summary>Lists the checkpoints of <paramref name="directory"/>, oldest first.</summary>
    public static int List(string directory, TextWriter output, TextWriter error)
    {
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"gear checkpoint list: {directory}: no such directory");
            return Problem;
        }
        var c = CultureInfo.InvariantCulture;
        var checkpoints = CheckpointStore.List(directory);
        output.WriteLine(string.Create(c, $"{checkpoints.Count} checkpoints in {Path.GetFullPath(directory)}"));
        foreach (var path in checkpoints)
        {
            var bytes = Directory.EnumerateFiles(path).Sum(f => new FileInfo(f).Length);
            try
            {
                var manifest = CheckpointManifest.Parse(File.ReadAllText(Path.Combine(path, CheckpointManifest.FileName)));
                output.WriteLine(string.Create(c,
                    $"  {Path.GetFileName(path)}  {manifest.CreatedUtc:yyyy-MM-dd HH:mm:ss}Z  {bytes / 1048576.0,10:0.0} MiB  {manifest.Tables.Count} tables: {string.Join(", ", manifest.Tables.Select(t => t.Name))}"));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                output.WriteLine(string.Create(c, $"  {Path.GetFileName(path)}  unreadable manifest: {e.Message}"));
            }
        }
        return ExitCodes.Ok;
    }

    /// <summary>Shows one checkpoint (the newest when <paramref name="name"/> is null).</summary>
    public static int Inspect(string directory, string? name, TextWriter output, TextWriter error)
    {
        var path = Resolve(directory, name, error, "inspect");
        if (path is null)
            return Problem;
        var c = CultureInfo.InvariantCulture;
        try
        {
            var manifest = CheckpointManifest.Parse(File.ReadAllText(Path.Combine(path, CheckpointManifest.FileName)));
            output.WriteLine(string.Create(c, $"{path}: taken {manifest.CreatedUtc:yyyy-MM-dd HH:mm:ss.fff}Z, inserts paused {manifest.PauseMs:0.#} ms, format {manifest.FormatVersion}"));
            foreach (var entry in manifest.Tables)
            {
                using var stream = File.OpenRead(Path.Combine(path, Path.GetFileName(entry.File)));
                var header = TableSnapshot.ReadHeaderOnly(stream);
                var spec = header.Spec;
                output.WriteLine(string.Create(c,
                    $"  {entry.Name} ({entry.File}, {entry.Bytes} bytes, sha256 {entry.Sha256}): {header.ItemCount} items, " +
                    $"{header.ClosedTrajectories} trajectories, {header.StoredSteps} steps ({header.StepDataBytes} bytes of step data)"));
                output.WriteLine(string.Create(c,
                    $"    {spec.Sampler} sampler, {spec.Remover} remover, {spec.Granularity} items, page steps {spec.PageSteps}, host capacity {spec.HostCapacityBytes} bytes, " +
                    $"max trajectories {spec.MaxTrajectories}, columns {string.Join(", ", spec.Columns)}"));
            }
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            error.WriteLine($"gear checkpoint inspect: {path}: {e.Message}");
            return Problem;
        }
    }

    /// <summary>Verifies every checkpoint of <paramref name="directory"/>, or the one named.</summary>
    public static int Verify(string directory, string? name, TextWriter output, TextWriter error)
    {
        IReadOnlyList<string> paths;
        if (name is null)
        {
            if (!Directory.Exists(directory))
            {
                error.WriteLine($"gear checkpoint verify: {directory}: no such directory");
                return Problem;
            }
            paths = CheckpointStore.List(directory);
        }
        else
        {
            var path = Resolve(directory, name, error, "verify");
            if (path is null)
                return Problem;
            paths = [path];
        }
        var bad = 0;
        foreach (var path in paths)
        {
            try
            {
                var manifest = CheckpointStore.Verify(path);
                output.WriteLine($"ok   {Path.GetFileName(path)}: {manifest.Tables.Count} tables");
            }
            catch (InvalidDataException e)
            {
                bad++;
                output.WriteLine($"BAD  {Path.GetFileName(path)}: {e.Message}");
            }
        }
        output.WriteLine($"{paths.Count - bad} of {paths.Count} checkpoints valid");
        return bad == 0 ? ExitCodes.Ok : Problem;
    }

    private static string? Resolve(string directory, string? name, TextWriter error, string verb)
    {
        if (name is null)
        {
            var newest = CheckpointStore.List(directory).LastOrDefault();
            if (newest is null)
                error.WriteLine($"gear checkpoint {verb}: no checkpoint in {directory}");
            return newest;
        }
        var path = Path.Combine(directory, Path.GetFileName(name));
        if (Directory.Exists(path))
            return path;
        error.WriteLine($"gear checkpoint {verb}: {path}: no such checkpoint");
        return null;
    }
}
