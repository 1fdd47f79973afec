using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Gear.Tests.Shared;

/// <summary>
/// A <c>gear serve</c> child process built with this solution (the gear.dll copied next to the test assembly),
/// with its stdout and stderr collected line by line, so tests can wait for a line, read the addresses it
/// printed, and send it signals.
/// </summary>
internal sealed partial class GearProcess : IDisposable
{
    private const int SigInt = 2;
    private const int SigKill = 9;
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _lineArrived = new(0);
    private int _disposed;

    private GearProcess(Process process) => _process = process;

    /// <summary>The gear.dll next to the test assembly (the project reference copies it there).</summary>
    public static string GearDll => Path.Combine(AppContext.BaseDirectory, "gear.dll");

    /// <summary>Starts <c>dotnet gear.dll serve</c> with <paramref name="arguments"/> (see <see cref="Start"/>).</summary>
    public static GearProcess StartServe(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, int? fileSizeLimitKiB = null) =>
        Start(["serve", .. arguments], environment, fileSizeLimitKiB);

    /// <summary>
    /// Starts <c>dotnet gear.dll</c> with <paramref name="arguments"/> (any command). With
    /// <paramref name="fileSizeLimitKiB"/>, no file it writes may grow past that size: a write beyond it fails
    /// (EFBIG) as a write to a full disk fails (ENOSPC), through bash's <c>ulimit -f</c> with SIGXFSZ ignored.
    /// </summary>
    public static GearProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, int? fileSizeLimitKiB = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(fileSizeLimitKiB is null ? dotnet : "/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileSizeLimitKiB is { } limit)
        {
            // An ignored signal stays ignored across exec, so the write fails instead of killing the process.
            foreach (var part in new[] { "-c", $"trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\"", dotnet })
                start.ArgumentList.Add(part);
            // The runtime's W^X double mapping sizes a memory file past any small limit; without it, only the
            // files gear itself writes meet the limit.
            start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        start.ArgumentList.Add(GearDll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The child must not inherit tokens from whoever runs the tests.
        start.Environment.Remove("GEAR_TOKENS");
        start.Environment.Remove("GEAR_TOKEN");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var gear = new GearProcess(process);
        process.OutputDataReceived += (_, e) => gear.Collect(gear._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => gear.Collect(gear._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gear;
    }

    /// <summary>Starts on system-chosen loopback ports (no clash with anything on the machine) and waits until ready.</summary>
    public static Task<GearProcess> StartReadyAsync(params string[] extraArguments) => StartReadyAsync(extraArguments, fileSizeLimitKiB: null);

    /// <summary><see cref="StartReadyAsync(string[])"/>, with a file size limit (see <see cref="Start"/>).</summary>
    public static async Task<GearProcess> StartReadyAsync(string[] extraArguments, int? fileSizeLimitKiB)
    {
        var gear = StartServe(["--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0", .. extraArguments], fileSizeLimitKiB: fileSizeLimitKiB);
        await gear.WaitForLineAsync(line => line.Contains("ready: serving"), TimeSpan.FromSeconds(30));
        return gear;
    }

    /// <summary>Standard output so far.</summary>
    public string Stdout => string.Join('\n', _stdout);

    /// <summary>Standard error so far.</summary>
    public string Stderr => string.Join('\n', _stderr);

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id (for reading its resource use from /proc).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The gRPC base address the server printed ("http://127.0.0.1:41234").</summary>
    public Uri GrpcAddress => Printed("gRPC");

    /// <summary>The admin base address the server printed.</summary>
    public Uri AdminAddress => Printed("admin");

    /// <summary>Waits for a stdout or stderr line matching <paramref name="match"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_stdout.Concat(_stderr).FirstOrDefault(match) is { } line)
                return line;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (_process.HasExited && !await _lineArrived.WaitAsync(200)))
                throw new AssertFailedException(
                    $"no matching line within {timeout} (exited: {_process.HasExited})\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Sends SIGTERM, as an orchestrator does to stop a container.</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>Sends SIGKILL: the process dies at once, as in a crash, with nothing flushed or closed.</summary>
    public void Kill() => Signal(SigKill);

    /// <summary>Whether this process ignores SIGINT (its children then start ignoring it too).</summary>
    public static bool SigIntIgnoredHere()
    {
        var ignored = File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("SigIgn:", StringComparison.Ordinal));
        return ignored is not null
            && (ulong.Parse(ignored.AsSpan("SigIgn:".Length).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & (1UL << (SigInt - 1))) != 0;
    }

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt() => Signal(SigInt);

    /// <summary>
    /// Runs <c>dotnet gear.dll</c> with <paramref name="arguments"/> to its end, as a user would run a command
    /// (gear bench, gear bench soak), and returns its exit code and output; fails the test after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var gear = Start(arguments);
        var exitCode = await gear.WaitForExitAsync(timeout);
        return (exitCode, gear.Stdout, gear.Stderr);
    }

    /// <summary>Waits for exit and returns the exit code; fails the test if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new AssertFailedException($"gear did not exit within {timeout}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _lineArrived.Dispose();
    }

    private void Collect(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
            return;
        lines.Enqueue(line);
        _lineArrived.Release();
    }

    private Uri Printed(string listener)
    {
        var pattern = new Regex($@"\b{listener} listening on (https?://\S+)");
        foreach (var line in _stdout)
            if (pattern.Match(line) is { Success: true } match)
                return new Uri(match.Groups[1].Value);
        throw new AssertFailedException($"gear printed no {listener} address\nstdout:\n{Stdout}");
    }

    private void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
