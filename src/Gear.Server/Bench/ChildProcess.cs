using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Gear.Server.Bench;

/// <summary>
/// Another process of this same gear binary (<c>gear serve</c>, <c>gear bench raw-peer</c>), with its output
/// collected so the bench can wait for the line that says it is ready and read the address it printed.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private ChildProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Everything it has printed so far (stdout and stderr), for error messages.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>
    /// Starts this binary with <paramref name="arguments"/>. Run as <c>dotnet gear.dll</c> (tests, or
    /// <c>dotnet gear.dll bench</c>) the child is started the same way; run as the <c>gear</c> apphost it is
    /// started directly. Its stdin is a pipe, which closes when this process ends, whatever way it ends.
    /// </summary>
    public static ChildProcess Start(params string[] arguments)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            start.ArgumentList.Add(Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("no entry assembly"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // A server that requires tokens would refuse the bench's calls; loopback without tokens is admin.
        start.Environment.Remove("GEAR_TOKENS");

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => child.Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a printed line matching <paramref name="pattern"/> and returns the match.</summary>
    /// <exception cref="InvalidOperationException">The process exited or printed no such line in time.</exception>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var line in _lines)
            {
                if (pattern.Match(line) is { Success: true } match)
                    return match;
            }
            if (_process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException(
                    $"'{string.Join(' ', _process.StartInfo.ArgumentList)}' printed no line matching /{pattern}/ " +
                    $"(exited: {_process.HasExited})\n{Output}");
            await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(100), cancellation);
        }
    }

    /// <summary>Sends SIGTERM (a graceful stop) and waits up to <paramref name="timeout"/> for the exit.</summary>
    /// <returns>The exit code, or null when it had to be killed.</returns>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
            _ = kill(_process.Id, SigTerm); // it may have exited in between; the wait below tells
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return null;
        }
    }

    /// <summary>Kills the process if it is still running.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        _process.Dispose();
        _lineArrived.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is null)
            return;
        _lines.Enqueue(line);
        _lineArrived.Release();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
