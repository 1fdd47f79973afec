using Gear.Protocol.Grpc;

namespace Gear.Client;

/// <summary>
/// A writer's insert stream ended with an error: the server refused a request (the detail names the
/// column or field, e.g. a step that does not fit the table spec), the connection broke, or the writer was
/// closed. Trajectories acknowledged before stay committed; every other trajectory of the writer is lost,
/// and every pending and later call of the writer throws this.
/// </summary>
public sealed class TrajectoryWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrajectoryWriteException(string message, StatusCode statusCode, string detail, Uri? endpoint, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Detail = detail;
        Endpoint = endpoint;
    }

    /// <summary>The gRPC status that ended the stream (CANCELLED when the writer was closed).</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The server's message (it names the column or field at fault), or the client's reason.</summary>
    public string Detail { get; }

    /// <summary>The server whose stream failed; null when the writer itself was closed.</summary>
    public Uri? Endpoint { get; }

    internal static TrajectoryWriteException FromRpc(RpcException e, Uri endpoint) =>
        new($"the insert stream to {endpoint} failed with {e.StatusCode}: {e.Status.Detail}", e.StatusCode, e.Status.Detail, endpoint, e);

    /// <summary>The same failure as UNAVAILABLE: the server cut the stream off, whatever status it gave.</summary>
    internal TrajectoryWriteException AsUnavailable() =>
        StatusCode == StatusCode.Unavailable ? this : new(Message, StatusCode.Unavailable, Detail, Endpoint, InnerException);

    /// <summary>A fresh exception with the same facts, for throwing again from a later call.</summary>
    internal TrajectoryWriteException Rethrowable() => new(Message, StatusCode, Detail, Endpoint, InnerException);
}
