using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gear.Server.Tests.Admin;

/// <summary>
/// Debian's chromium, headless, driven over the Chrome DevTools Protocol with a small client on
/// System.Net.WebSockets: one page target, console errors and uncaught exceptions collected, JavaScript
/// evaluated, screenshots taken. Just enough for the dashboard test.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where test.sh installs it (Debian package "chromium").</summary>
    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private string? _session;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Whether chromium is installed here.</summary>
    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>Console errors, uncaught exceptions and error log entries of the page so far.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>Starts chromium and attaches to a blank page with the console and log domains enabled.</summary>
    public static async Task<HeadlessChromium> StartAsync(int width = 1400, int height = 1100)
    {
        var profile = Directory.CreateTempSubdirectory("gear-chromium-").FullName;
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
            "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank",
        })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.ConnectAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Navigates the page to <paramref name="url"/>.</summary>
    public Task NavigateAsync(Uri url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() }, _session);

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as JSON (promises awaited).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
        }, _session);
        if (result?["exceptionDetails"] is { } exception)
            throw new InvalidOperationException($"evaluating '{expression}' threw: {exception.ToJsonString()}");
        return result?["result"]?["value"];
    }

    /// <summary>A PNG of the page as it is now, the whole page and not only the window.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }, _session);
        return Convert.FromBase64String(result!["data"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // Closing anyway.
        }
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A late write by a dying child; the temp directory is cleaned eventually.
        }
    }

    private async Task ConnectAsync()
    {
        // With port 0 chromium picks a port and writes it, with the browser target's path, to DevToolsActivePort.
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string[] lines;
        while (!File.Exists(portFile) || (lines = await File.ReadAllLinesAsync(portFile)).Length < 2)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"chromium exited with code {_process.ExitCode} before it listened");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("chromium wrote no DevToolsActivePort within 30 s");
            await Task.Delay(100);
        }
        await _socket.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"), _stop.Token);
        _receiving = ReceiveAsync();

        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, null);
        var attached = await SendAsync("Target.attachToTarget",
            new JsonObject { ["targetId"] = target!["targetId"]!.GetValue<string>(), ["flatten"] = true }, null);
        _session = attached!["sessionId"]!.GetValue<string>();
        await SendAsync("Page.enable", null, _session);
        await SendAsync("Runtime.enable", null, _session);
        await SendAsync("Log.enable", null, _session);
    }

    private async Task<JsonNode?> SendAsync(string method, JsonObject? parameters, string? session)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (session is not null)
            message["sessionId"] = session;
        var reply = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        }
        finally
        {
            _sendLock.Release();
        }
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                Dispatch(JsonNode.Parse(message.ToArray())!);
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The browser went away or we are closing.
        }
        foreach (var pending in _pending.Values)
            pending.TrySetException(new InvalidOperationException("the DevTools connection closed"));
    }

    private void Dispatch(JsonNode message)
    {
        if (message["id"] is { } id)
        {
            if (_pending.TryRemove(id.GetValue<int>(), out var reply))
            {
                if (message["error"] is { } error)
                    reply.TrySetException(new InvalidOperationException($"DevTools error: {error.ToJsonString()}"));
                else
                    reply.TrySetResult(message["result"]);
            }
            return;
        }
        var parameters = message["params"];
        var method = message["method"]?.GetValue<string>();
        if (method == "Runtime.consoleAPICalled")
        {
            var type = parameters?["type"]?.GetValue<string>();
            if (type is "error" or "assert")
                _errors.Enqueue("console." + type + ": " + parameters?["args"]?.ToJsonString());
        }
        else if (method == "Runtime.exceptionThrown")
        {
            _errors.Enqueue("uncaught: " + parameters?["exceptionDetails"]?.ToJsonString());
        }
        else if (method == "Log.entryAdded")
        {
            var entry = parameters?["entry"];
            if (entry?["level"]?.GetValue<string>() == "error")
                _errors.Enqueue("log: " + entry["text"] + " " + entry["url"]);
        }
    }
}
