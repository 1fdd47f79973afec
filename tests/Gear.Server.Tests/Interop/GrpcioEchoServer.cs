using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gear.Server.Tests.Interop;

/// <summary>tests/interop/grpcio_echo_server.py running under python3-grpcio: a real gRPC server for the client.</summary>
internal sealed partial class GrpcioEchoServer : IDisposable
{
    private readonly Process _process;

    private GrpcioEchoServer(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    public static async Task<GrpcioEchoServer> StartAsync()
    {
        PythonPeer.RequireInstalled();
        var start = new ProcessStartInfo(PythonPeer.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(PythonPeer.RepositoryRoot(), "tests", "interop", "grpcio_echo_server.py"));
        var process = Process.Start(start)!;
        try
        {
            string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Match listening = ListeningLine().Match(line ?? string.Empty);
            if (!listening.Success)
                Assert.Fail($"the grpcio server did not start: {line} {await process.StandardError.ReadToEndAsync()}");
            return new GrpcioEchoServer(process, int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Closing stdin stops the server; a server that does not stop is killed.
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    [GeneratedRegex(@"^LISTENING (\d+)$")]
    private static partial Regex ListeningLine();
}
