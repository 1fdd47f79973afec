using System.Collections.Concurrent;
using System.Diagnostics;
using Gear.Server.Service;

namespace Gear.Server.Admin;

/// <summary>
/// Keeps every table's <see cref="RateHistory"/> (and the server's), ticking once per interval in the
/// background: rates come from the tables' lifetime counters, so the service's hot paths do nothing for them.
/// </summary>
public sealed class RateTracker : IAsyncDisposable
{
    private readonly TableRegistry _registry;
    private readonly ConcurrentDictionary<string, RateHistory> _tables = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts ticking every <paramref name="interval"/> (none when <paramref name="interval"/> is infinite: tests tick by hand).</summary>
    public RateTracker(TableRegistry registry, TimeSpan interval)
    {
        _registry = registry;
        Tick();
        _loop = interval == Timeout.InfiniteTimeSpan ? Task.CompletedTask : RunAsync(interval, _stop.Token);
    }

    /// <summary>The server's rates: the sum over its tables.</summary>
    public RateHistory Server { get; } = new();

    /// <summary>The history of <paramref name="table"/>, or an empty one for a table not seen yet.</summary>
    public RateHistory For(string table) => _tables.TryGetValue(table, out var history) ? history : new RateHistory();

    /// <summary>Reads every table's counters once.</summary>
    public void Tick()
    {
        var now = Stopwatch.GetTimestamp();
        long inserted = 0, sampled = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in TableSnapshots.Take(_registry))
        {
            seen.Add(table.Name);
            inserted += table.Info.ItemsInserted;
            sampled += table.Info.WindowsSampled;
            _tables.GetOrAdd(table.Name, _ => new RateHistory()).Tick(table.Info.ItemsInserted, table.Info.WindowsSampled, now);
        }
        foreach (var gone in _tables.Keys.Where(name => !seen.Contains(name)))
            _tables.TryRemove(gone, out _);
        // A dropped table takes its counts out of the sum; RateHistory treats that drop as no activity.
        Server.Tick(inserted, sampled, now);
    }

    /// <summary>Stops ticking.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            try
            {
                Tick();
            }
            catch (Gear.Core.Errors.GearException)
            {
                // A table closed between its lease and its read (server shutting down): the next tick goes on.
            }
        }
    }
}
