using System.Globalization;
using System.Net;

namespace Gear.Server.Configuration;

/// <summary>
/// An IP address and port to listen on: "127.0.0.1:50051", "[::1]:50051", "0.0.0.0:50051", "localhost:50051"
/// (the IPv4 loopback). Port 0 asks the system for a free port. Host names other than localhost are refused:
/// a server binds to addresses, and a name that resolves differently tomorrow is a surprise.
/// </summary>
/// <param name="Address">The IP address (IPv4 or IPv6; Any/IPv6Any listen on every interface).</param>
/// <param name="Port">The port, 0 to 65535.</param>
public readonly record struct ListenAddress(IPAddress Address, int Port)
{
    /// <summary>Whether only this machine can connect (127.0.0.0/8 or ::1).</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>Whether the address is every interface (0.0.0.0 or ::).</summary>
    public bool IsAnyAddress => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    /// <summary>The endpoint to bind.</summary>
    public IPEndPoint EndPoint => new(Address, Port);

    /// <summary>Parses "host:port".</summary>
    /// <param name="text">The address as written.</param>
    /// <param name="field">The field it came from, for the error message.</param>
    /// <exception cref="ConfigException">The text is not an IP address (or localhost) and a port.</exception>
    public static ListenAddress Parse(string? text, string field)
    {
        const string expected = "expected host:port with an IP address or localhost, e.g. 127.0.0.1:50051, [::1]:50051 or 0.0.0.0:50051";
        if (string.IsNullOrWhiteSpace(text))
            throw new ConfigException(field, $"the address is empty; {expected}");

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new ConfigException(field, $"'{text}' has no port; {expected}");

        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
            throw new ConfigException(field, $"'{text}': port '{portText}' must be a number from 0 to {IPEndPoint.MaxPort}");

        IPAddress? address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            address = IPAddress.Loopback;
        else if (host.StartsWith('[') && host.EndsWith(']'))
            address = IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? v6 : null;
        else
            // A bare IPv6 address without brackets would be ambiguous with the port; require brackets.
            address = !host.Contains(':') && IPAddress.TryParse(host, out var v4) ? v4 : null;

        if (address is null)
            throw new ConfigException(field, $"'{text}': '{host}' is not an IP address; {expected}");
        return new ListenAddress(address, port);
    }

    /// <summary>Whether this and <paramref name="other"/> would try to bind the same socket.</summary>
    public bool Overlaps(ListenAddress other) =>
        Port != 0 && Port == other.Port &&
        (Address.Equals(other.Address) || IsAnyAddress || other.IsAnyAddress);

    /// <inheritdoc/>
    public override string ToString() => EndPoint.ToString();
}
