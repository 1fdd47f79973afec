namespace Gear.Core.Tables;

/// <summary>The life of a trajectory slot.</summary>
internal enum TrajectoryState : byte
{
    /// <summary>The slot holds nothing.</summary>
    Free,
    /// <summary>An actor is appending steps; not sampleable.</summary>
    Open,
    /// <summary>Close was called and waits on the rate limiter; no more appends.</summary>
    Closing,
    /// <summary>Closed: its items are sampleable.</summary>
    Closed,
    /// <summary>Gone from the table (abandoned, evicted, deleted, reset) but still referenced by a gather or an
    /// append in flight; its pages are freed when the last reference is dropped.</summary>
    Released,
}
