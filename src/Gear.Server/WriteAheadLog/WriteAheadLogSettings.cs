namespace Gear.Server.WriteAheadLog;

/// <summary>When the log forces what it wrote to the disk, and so what an acknowledgement promises.</summary>
public enum FsyncPolicy
{
    /// <summary>
    /// fsync before acknowledging: an acknowledged commit survives a crash of the process and of the machine.
    /// Commits that arrive while one fsync runs share the next one (group commit).
    /// </summary>
    Commit,

    /// <summary>
    /// Acknowledge once the write reached the operating system, and fsync every interval: an acknowledged commit
    /// survives a crash of the process; a power loss can take the last interval.
    /// </summary>
    Interval,

    /// <summary>Never fsync (the operating system writes back when it likes): survives a crash of the process only.</summary>
    None,
}

/// <summary>The validated <c>writeAheadLog</c> section of the config.</summary>
/// <param name="Directory">Absolute directory holding one subdirectory of log segments per logged table.</param>
/// <param name="Fsync">The fsync policy.</param>
/// <param name="FsyncInterval">Time between fsyncs under <see cref="FsyncPolicy.Interval"/>.</param>
public sealed record WriteAheadLogSettings(string Directory, FsyncPolicy Fsync, TimeSpan FsyncInterval)
{
    /// <summary>The default fsync interval under <see cref="FsyncPolicy.Interval"/>.</summary>
    public static readonly TimeSpan DefaultFsyncInterval = TimeSpan.FromMilliseconds(100);
}
