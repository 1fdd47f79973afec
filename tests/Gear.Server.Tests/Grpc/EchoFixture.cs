using Gear.Protocol.Grpc;
using Gear.Server.Grpc;

namespace Gear.Server.Tests.Grpc;

/// <summary>
/// The echo test service on a <see cref="GrpcTestServer"/>, with a channel and a raw client to it: what most
/// gRPC layer test classes start once per class.
/// </summary>
internal sealed class EchoFixture : IAsyncDisposable
{
    private EchoFixture(EchoService service, GrpcTestServer server)
    {
        Service = service;
        Server = server;
        Channel = server.CreateChannel();
        Raw = new RawGrpcClient(server.Address);
    }

    public EchoService Service { get; }

    public GrpcTestServer Server { get; }

    public GrpcChannel Channel { get; }

    public RawGrpcClient Raw { get; }

    /// <summary>Starts the echo service, plus whatever <paramref name="registerMore"/> adds, with adjusted options.</summary>
    public static async Task<EchoFixture> StartAsync(Action<GrpcServerOptions>? configureOptions = null, Action<GrpcServiceHost>? registerMore = null)
    {
        var service = new EchoService();
        var server = await GrpcTestServer.StartAsync(host =>
        {
            service.Register(host);
            registerMore?.Invoke(host);
        }, configureOptions);
        return new EchoFixture(service, server);
    }

    public async ValueTask DisposeAsync()
    {
        Raw.Dispose();
        Channel.Dispose();
        await Server.DisposeAsync();
    }
}
