using System.Globalization;
using System.Text.Json;

namespace Gear.Server.Bench.Soak;

/// <summary>The rate limiter's counters and bounds, as the admin API reports them.</summary>
/// <param name="Inserts">Items inserted, as the limiter counts them.</param>
/// <param name="Samples">Windows sampled, as the limiter counts them.</param>
/// <param name="SamplesPerInsert">The configured ratio.</param>
/// <param name="MinDiff">Samples wait while inserts × samples_per_insert − samples would fall below this.</param>
/// <param name="MaxDiff">Inserts wait while inserts × samples_per_insert − samples would rise above this.</param>
public sealed record LimiterState(long Inserts, long Samples, double SamplesPerInsert, double MinDiff, double MaxDiff)
{
    /// <summary>inserts × samples_per_insert − samples: the quantity the limiter keeps within [MinDiff, MaxDiff].</summary>
    public double Diff => Inserts * SamplesPerInsert - Samples;
}

/// <summary>What the server says about itself at one moment.</summary>
/// <param name="RssBytes">Resident memory of the server process (VmRSS).</param>
/// <param name="GrpcConnections">Connections open to its gRPC port.</param>
/// <param name="Limiter">The soak table's rate limiter.</param>
internal sealed record ServerSnapshot(long RssBytes, long GrpcConnections, LimiterState Limiter);

/// <summary>
/// Reads the server under test from outside, as an operator would: its resident memory from
/// <c>/proc/PID/status</c>, its connections from <c>/api/v1/server</c> and the table's rate limiter from
/// <c>/api/v1/tables/{name}</c>.
/// </summary>
internal sealed class ServerObserver(int processId, Uri admin, string table) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = admin, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Takes a snapshot.</summary>
    public async Task<ServerSnapshot> ReadAsync(CancellationToken cancellation)
    {
        var rss = ResidentBytes(processId);
        using var server = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/server", cancellation));
        using var detail = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/tables/{Uri.EscapeDataString(table)}", cancellation));
        var limiter = detail.RootElement.GetProperty("summary").GetProperty("rateLimiter");
        return new ServerSnapshot(rss, server.RootElement.GetProperty("grpcConnections").GetInt64(), new LimiterState(
            limiter.GetProperty("inserts").GetInt64(),
            limiter.GetProperty("samples").GetInt64(),
            limiter.GetProperty("samplesPerInsert").GetDouble(),
            limiter.GetProperty("minDiff").GetDouble(),
            limiter.GetProperty("maxDiff").GetDouble()));
    }

    /// <summary>The VmRSS of process <paramref name="processId"/>, in bytes.</summary>
    /// <exception cref="InvalidOperationException">The status file has no VmRSS line (the process has exited).</exception>
    public static long ResidentBytes(int processId)
    {
        // "VmRSS:     123456 kB"; the kernel always reports it in kB.
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"/proc/{processId}/status has no VmRSS line");
    }

    /// <summary>The soft limit on open files of process <paramref name="processId"/> (from /proc/PID/limits), or null if unlimited or unknown.</summary>
    public static long? OpenFilesLimit(int processId)
    {
        // "Max open files            20000                20000                files"
        foreach (var line in File.ReadLines($"/proc/{processId}/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
                return long.TryParse(line.AsSpan("Max open files".Length).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }
        return null;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
