using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Protocol;

/// <summary>
/// The methods of the <c>gear.v1.Replay</c> service (replay.proto), described once for the server that
/// serves them and the clients that call them.
/// </summary>
public static class ReplayMethods
{
    /// <summary>The fully qualified service name, as the proto package and service declare it.</summary>
    public const string ServiceName = "gear.v1.Replay";

    /// <summary>Creates a table.</summary>
    public static readonly Method<CreateTableRequest, CreateTableResponse> CreateTable =
        Unary("CreateTable", CreateTableRequest.Parser, CreateTableResponse.Parser);

    /// <summary>Drops a table.</summary>
    public static readonly Method<DropTableRequest, DropTableResponse> DropTable =
        Unary("DropTable", DropTableRequest.Parser, DropTableResponse.Parser);

    /// <summary>Lists tables.</summary>
    public static readonly Method<ListTablesRequest, ListTablesResponse> ListTables =
        Unary("ListTables", ListTablesRequest.Parser, ListTablesResponse.Parser);

    /// <summary>Describes the server.</summary>
    public static readonly Method<GetServerInfoRequest, ServerInfo> GetServerInfo =
        Unary("GetServerInfo", GetServerInfoRequest.Parser, ServerInfo.Parser);

    /// <summary>An actor's stream of steps in and acknowledgements out.</summary>
    public static readonly Method<InsertRequest, InsertResponse> InsertStream =
        new(MethodType.DuplexStreaming, ServiceName, "InsertStream", InsertRequest.Parser, InsertResponse.Parser);

    /// <summary>One batch of windows.</summary>
    public static readonly Method<SampleRequest, SampleResponse> Sample =
        Unary("Sample", SampleRequest.Parser, SampleResponse.Parser);

    /// <summary>A stream of batches of windows.</summary>
    public static readonly Method<SampleStreamRequest, SampleResponse> SampleStream =
        new(MethodType.ServerStreaming, ServiceName, "SampleStream", SampleStreamRequest.Parser, SampleResponse.Parser);

    /// <summary>New priorities by key.</summary>
    public static readonly Method<UpdatePrioritiesRequest, UpdatePrioritiesResponse> UpdatePriorities =
        Unary("UpdatePriorities", UpdatePrioritiesRequest.Parser, UpdatePrioritiesResponse.Parser);

    /// <summary>Removes items by key.</summary>
    public static readonly Method<DeleteRequest, DeleteResponse> Delete =
        Unary("Delete", DeleteRequest.Parser, DeleteResponse.Parser);

    /// <summary>Empties a table.</summary>
    public static readonly Method<ResetRequest, ResetResponse> Reset =
        Unary("Reset", ResetRequest.Parser, ResetResponse.Parser);

    /// <summary>Writes a checkpoint.</summary>
    public static readonly Method<CheckpointRequest, CheckpointResponse> Checkpoint =
        Unary("Checkpoint", CheckpointRequest.Parser, CheckpointResponse.Parser);

    /// <summary>Negotiates a data-plane batch stream.</summary>
    public static readonly Method<OpenDataPlaneRequest, OpenDataPlaneResponse> OpenDataPlane =
        Unary("OpenDataPlane", OpenDataPlaneRequest.Parser, OpenDataPlaneResponse.Parser);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(
        string name, Google.Protobuf.MessageParser<TRequest> requestParser, Google.Protobuf.MessageParser<TResponse> responseParser)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>
        where TResponse : class, Google.Protobuf.IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name, requestParser, responseParser);
}
