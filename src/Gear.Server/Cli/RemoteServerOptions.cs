using System.CommandLine;
using Gear.Protocol.Grpc;

namespace Gear.Server.Cli;

/// <summary>
/// The options of a command that calls a running server (<c>--server</c>, <c>--token</c>, <c>--timeout</c>),
/// and what they turn into: the checked address and each call's options.
/// </summary>
internal sealed class RemoteServerOptions
{
    private readonly string _commandName;
    private readonly Option<string> _server = new("--server")
    { HelpName = "url", Description = "The server's gRPC address (default http://127.0.0.1:50051).", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
    private readonly Option<string?> _token;
    private readonly Option<double> _timeout;

    /// <param name="commandName">The command as the user typed it, for messages ("gear info").</param>
    /// <param name="tokenRole">The role the token needs, named in its help; null when any role will do.</param>
    /// <param name="timeoutDescription">What the deadline applies to, for its help.</param>
    /// <param name="defaultTimeoutSeconds">The deadline when none is given.</param>
    public RemoteServerOptions(string commandName, string? tokenRole, string timeoutDescription, double defaultTimeoutSeconds)
    {
        _commandName = commandName;
        _token = new("--token")
        {
            HelpName = "token",
            Description = $"Bearer token{(tokenRole is null ? "" : $" with the {tokenRole} role")} (default: the GEAR_TOKEN environment variable).",
        };
        _timeout = new("--timeout")
        {
            HelpName = "seconds",
            Description = $"{timeoutDescription} (default {defaultTimeoutSeconds}).",
            DefaultValueFactory = _ => defaultTimeoutSeconds,
        };
    }

    /// <summary>The options, to add to the command.</summary>
    public IEnumerable<Option> All => [_server, _token, _timeout];

    /// <summary>The server's address; null (after saying why on <paramref name="error"/>) when it is not an http(s) URL.</summary>
    public async Task<Uri?> AddressAsync(ParseResult parse, TextWriter error)
    {
        if (Uri.TryCreate(parse.GetValue(_server), UriKind.Absolute, out var address) && address.Scheme is "http" or "https")
            return address;
        await error.WriteLineAsync($"{_commandName}: --server '{parse.GetValue(_server)}' must be an http:// or https:// address");
        return null;
    }

    /// <summary>One call's options: the token's header and a deadline of --timeout from now.</summary>
    public CallOptions CallOptions(ParseResult parse, CancellationToken cancellation)
    {
        var token = parse.GetValue(_token) ?? Environment.GetEnvironmentVariable("GEAR_TOKEN");
        return new(token is null ? null : new Metadata { { "authorization", "Bearer " + token } },
            DateTime.UtcNow + TimeSpan.FromSeconds(parse.GetValue(_timeout)), cancellation);
    }
}
