using System.CommandLine;
using System.Globalization;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Hosting;
using Google.Protobuf;

namespace Gear.Server.Cli;

/// <summary>
/// <c>gear info</c>: what a running server says about itself and its tables (GetServerInfo and ListTables).
/// Exit codes: 0 answered, 1 the server could not be reached or refused (its status is printed), 2 usage.
/// </summary>
public static class InfoCommand
{
    /// <summary>Exit code when the server could not be reached or refused the call.</summary>
    public const int Unreachable = 1;

    private static readonly RemoteServerOptions Remote = new("gear info", tokenRole: null, "Deadline of each call", defaultTimeoutSeconds: 10);
    private static readonly Option<bool> JsonOption = new("--json")
    { Description = "Print the server info and tables as JSON (proto JSON), for scripts." };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("info", "Show a running server's version, backend, limits and tables.") { JsonOption };
        foreach (var option in Remote.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellation) => RunAsync(parse, Console.Out, Console.Error, cancellation));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (await Remote.AddressAsync(parse, error) is not { } address)
            return ExitCodes.InvalidConfiguration;
        using var channel = GrpcChannel.ForAddress(address);
        try
        {
            var info = await channel.UnaryAsync(ReplayMethods.GetServerInfo, new GetServerInfoRequest(), Remote.CallOptions(parse, cancellation));
            var tables = await channel.UnaryAsync(ReplayMethods.ListTables, new ListTablesRequest(), Remote.CallOptions(parse, cancellation));
            if (parse.GetValue(JsonOption))
            {
                await output.WriteLineAsync($$"""{"server": {{JsonFormatter.Default.Format(info)}}, "tables": {{JsonFormatter.Default.Format(tables)}}}""");
                return ExitCodes.Ok;
            }
            await WriteAsync(output, address, info, tables);
            return ExitCodes.Ok;
        }
        catch (RpcException e)
        {
            await error.WriteLineAsync($"gear info: {address}: {e.StatusCode}: {e.Status.Detail}");
            return Unreachable;
        }
    }

    private static async Task WriteAsync(TextWriter output, Uri address, ServerInfo info, ListTablesResponse tables)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(c, $"{address}: gear {info.Version}, backend {info.Backend} ({info.BackendReason}), up {TimeSpan.FromMilliseconds(info.UptimeMs):d\\.hh\\:mm\\:ss}"));
        await output.WriteLineAsync(string.Create(c, $"limits: receive {info.MaxReceiveMessageBytes} B, send {info.MaxSendMessageBytes} B per message; data plane: {(info.DataPlaneTransports.Count == 0 ? "none" : string.Join(", ", info.DataPlaneTransports))}"));
        await output.WriteLineAsync(string.Create(c, $"{tables.Tables.Count} tables"));
        foreach (var table in tables.Tables.OrderBy(t => t.Spec.Name, StringComparer.Ordinal))
        {
            var limiter = table.RateLimiter;
            await output.WriteLineAsync(string.Create(c,
                $"  {table.Spec.Name}: {table.Spec.Sampler} sampler, {table.ItemCount} items, {table.StoredSteps} steps, " +
                $"{table.BytesUsed / 1048576.0:0.0}/{table.BytesReserved / 1048576.0:0.0} MiB, inserted {table.ItemsInserted}, sampled {table.WindowsSampled}, " +
                $"blocked inserters {limiter.BlockedInserters}, samplers {limiter.BlockedSamplers}"));
        }
    }
}
