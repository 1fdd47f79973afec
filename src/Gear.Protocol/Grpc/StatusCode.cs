namespace Gear.Protocol.Grpc;

/// <summary>The gRPC status codes (doc/statuscodes.md in the grpc repository); the values are the wire values.</summary>
public enum StatusCode
{
    /// <summary>Not an error.</summary>
    OK = 0,
    /// <summary>The operation was cancelled, typically by the caller.</summary>
    Cancelled = 1,
    /// <summary>An error with no better code (for example an unexpected exception in a handler).</summary>
    Unknown = 2,
    /// <summary>The client gave an argument that is invalid whatever the state of the system.</summary>
    InvalidArgument = 3,
    /// <summary>The deadline expired before the operation could complete.</summary>
    DeadlineExceeded = 4,
    /// <summary>A requested entity was not found.</summary>
    NotFound = 5,
    /// <summary>The entity the client tried to create already exists.</summary>
    AlreadyExists = 6,
    /// <summary>The caller is known but may not do this.</summary>
    PermissionDenied = 7,
    /// <summary>A resource (message size, quota, memory) is exhausted.</summary>
    ResourceExhausted = 8,
    /// <summary>The system is not in a state the operation needs.</summary>
    FailedPrecondition = 9,
    /// <summary>The operation was aborted, typically by a concurrency conflict.</summary>
    Aborted = 10,
    /// <summary>The operation went past the valid range.</summary>
    OutOfRange = 11,
    /// <summary>The operation is not implemented or not supported.</summary>
    Unimplemented = 12,
    /// <summary>An invariant of the system or the protocol is broken.</summary>
    Internal = 13,
    /// <summary>The service is unavailable right now; retrying may help.</summary>
    Unavailable = 14,
    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,
    /// <summary>The request has no valid authentication credentials.</summary>
    Unauthenticated = 16,
}
