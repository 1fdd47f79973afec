namespace Gear.Protocol.Grpc;

/// <summary>A call ended with a status other than OK. Thrown by clients; thrown by handlers to answer with a status.</summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception for a status and optional trailing metadata.</summary>
    public RpcException(Status status, Metadata? trailers = null)
        : base(status.ToString())
    {
        Status = status;
        Trailers = trailers ?? new Metadata();
    }

    /// <summary>Creates the exception for a status and trailing metadata, keeping the exception that caused it.</summary>
    public RpcException(Status status, Metadata? trailers, Exception innerException)
        : base(status.ToString(), innerException)
    {
        Status = status;
        Trailers = trailers ?? new Metadata();
    }

    /// <summary>The status of the call.</summary>
    public Status Status { get; }

    /// <summary>The status code of the call.</summary>
    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>The trailing metadata: received from the server on a client, sent to the client on a server.</summary>
    public Metadata Trailers { get; }
}
