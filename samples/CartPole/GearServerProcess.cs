using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gear.Samples.CartPole;

/// <summary>
/// A <c>gear serve</c> child process on loopback with system-chosen ports and no tables, for a sample that
/// brings its own server. The gear.dll next to this sample comes from its project reference to Gear.Server.
/// </summary>
public sealed partial class GearServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _configPath;

    private GearServerProcess(Process process, string configPath, Uri address)
    {
        _process = process;
        _configPath = configPath;
        Address = address;
    }

    /// <summary>The server's gRPC address.</summary>
    public Uri Address { get; }

    /// <summary>Starts the server and waits until it says it is ready.</summary>
    public static async Task<GearServerProcess> StartAsync(TimeSpan timeout)
    {
        var configPath = Path.Combine(Path.GetTempPath(), $"gear-cartpole-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(configPath, """{ "tables": [] }""");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "gear.dll"), "serve", "--config", configPath,
                     "--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start gear serve");
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && GrpcAddress().Match(line) is { Success: true } match)
                address.TrySetResult(new Uri(match.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
                Console.Error.WriteLine($"gear serve: {line}");
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(address.Task, exited, Task.Delay(timeout)) != address.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("gear serve did not start (see its messages above)");
        }
        return new GearServerProcess(process, configPath, address.Task.Result);
    }

    /// <summary>Stops the server (SIGTERM would be kinder; a sample's server holds nothing worth draining).</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
        File.Delete(_configPath);
    }

    [GeneratedRegex(@"gRPC listening on (\S+)")]
    private static partial Regex GrpcAddress();
}
