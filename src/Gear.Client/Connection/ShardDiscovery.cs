using System.Net;
using System.Net.Sockets;

namespace Gear.Client;

/// <summary>
/// Finds the shards behind one DNS name: a Kubernetes headless Service (deploy/kubernetes/service.yaml)
/// resolves to one address per ready pod, so "http://gear-replay.ns.svc.cluster.local:50051" names the whole
/// fleet. Each address becomes an endpoint with the name's scheme and port.
/// </summary>
public static class ShardDiscovery
{
    /// <summary>
    /// The endpoints <paramref name="service"/>'s host resolves to, sorted so that every client builds the same
    /// hash ring from the same answer. A literal IP address is returned as it is.
    /// </summary>
    /// <param name="service">"http://name:port" or "https://name:port".</param>
    /// <param name="resolve">The resolver (DNS by default; tests pass their own).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <exception cref="ArgumentException">The name resolves to no IPv4 or IPv6 address.</exception>
    /// <remarks>
    /// Endpoints are addresses, so a shard that comes back with a new address (a rescheduled pod) is a new
    /// endpoint and moves its part of the ring: resolve again and create a new client after the fleet changes.
    /// </remarks>
    public static async Task<IReadOnlyList<Uri>> ResolveAsync(
        Uri service, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (IPAddress.TryParse(service.DnsSafeHost, out _))
            return [service];
        resolve ??= Dns.GetHostAddressesAsync;
        var addresses = (await resolve(service.DnsSafeHost, cancellationToken).ConfigureAwait(false))
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Distinct()
            .OrderBy(a => a.AddressFamily)
            .ThenBy(a => a.GetAddressBytes(), ByteOrder.Instance)
            .ToArray();
        if (addresses.Length == 0)
            throw new ArgumentException($"'{service.DnsSafeHost}' resolves to no address", nameof(service));
        return addresses.Select(a => new UriBuilder(service) { Host = a.ToString() }.Uri).ToArray();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
