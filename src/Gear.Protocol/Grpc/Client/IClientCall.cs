namespace Gear.Protocol.Grpc;

/// <summary>What the public call objects need from a call, whatever its message types.</summary>
internal interface IClientCall : IDisposable
{
    Task<Metadata> ResponseHeadersAsync { get; }

    Status GetStatus();

    Metadata GetTrailers();
}

/// <summary>Reads the one response of a unary or client-streaming call.</summary>
internal interface ISingleResponseReader<TResponse>
{
    Task<TResponse> ReadSingleResponseAsync();
}
