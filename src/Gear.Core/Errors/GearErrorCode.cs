namespace Gear.Core.Errors;

/// <summary>
/// What kind of failure a <see cref="GearException"/> reports. The values mirror the gRPC status codes they
/// map to, so the service layer translates them without guessing.
/// </summary>
public enum GearErrorCode
{
    /// <summary>The caller cancelled the operation.</summary>
    Cancelled = 1,
    /// <summary>An argument is malformed or does not fit the table spec (shape, byte count, priority, ...).</summary>
    InvalidArgument = 3,
    /// <summary>The operation did not complete before its deadline (for example, a rate-limited sample).</summary>
    DeadlineExceeded = 4,
    /// <summary>A named table, trajectory or item does not exist.</summary>
    NotFound = 5,
    /// <summary>Something with that name already exists.</summary>
    AlreadyExists = 6,
    /// <summary>Out of capacity: no room in the table and nothing that may be evicted.</summary>
    ResourceExhausted = 8,
    /// <summary>The object is not in a state that allows the operation (closed trajectory, concurrent append, ...).</summary>
    FailedPrecondition = 9,
    /// <summary>The server failed in a way the caller cannot fix (a write-ahead log that cannot be written).</summary>
    Internal = 13,
    /// <summary>The table was closed while the caller waited.</summary>
    Unavailable = 14,
}
