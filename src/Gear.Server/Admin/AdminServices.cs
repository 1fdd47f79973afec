using Gear.Server.Admin.Metrics;
using Gear.Server.Hosting;
using Gear.Server.Security;
using Gear.Server.Service;

namespace Gear.Server.Admin;

/// <summary>
/// Everything behind the admin routes of one server, composed and owned in one place: the metrics collector
/// (listening to the server's <see cref="GearMetrics"/>), the table gauges, the rate tracker, the JSON API and
/// the site that routes to them. Dispose it after the listeners have stopped.
/// </summary>
public sealed class AdminServices : IAsyncDisposable
{
    private readonly MetricsCollector _collector;
    private readonly RateTracker _rates;

    /// <summary>Composes the admin side of a server.</summary>
    /// <param name="registry">The tables served.</param>
    /// <param name="identity">Version, backend and start time.</param>
    /// <param name="readiness">Ready state.</param>
    /// <param name="metrics">The server's instruments, which the service reports into.</param>
    /// <param name="authenticator">The configured tokens, for admin access off loopback.</param>
    /// <param name="rateInterval">How often rates are computed (one second on a real server).</param>
    public AdminServices(TableRegistry registry, ServerIdentity identity, ServerReadiness readiness, GearMetrics metrics,
        TokenAuthenticator authenticator, TimeSpan rateInterval)
    {
        var gauges = new TableGauges(metrics.Meter, registry);
        _collector = new MetricsCollector(metrics.Meter, gauges.Refresh);
        _rates = new RateTracker(registry, rateInterval);
        Api = new AdminApi(registry, identity, readiness, metrics, _rates);
        Site = new AdminSite(new AdminAccess(authenticator), Api, _collector);
    }

    /// <summary>The JSON views.</summary>
    public AdminApi Api { get; }

    /// <summary>The routes, for <see cref="AdminEndpoints"/>.</summary>
    public AdminSite Site { get; }

    /// <summary>The rate tracker (tests tick it by hand).</summary>
    public RateTracker Rates => _rates;

    /// <summary>Stops the rate tracker and the metrics listener.</summary>
    public async ValueTask DisposeAsync()
    {
        await _rates.DisposeAsync().ConfigureAwait(false);
        _collector.Dispose();
    }
}
