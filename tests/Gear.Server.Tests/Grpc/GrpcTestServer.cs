using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gear.Server.Tests.Grpc;

/// <summary>
/// A Kestrel server on a random loopback port serving one <see cref="GrpcServiceHost"/>, for tests of the gRPC
/// layer and of services built on it. Register methods in <c>register</c>; dispose to stop.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcTestServer(WebApplication app, GrpcServiceHost host, Uri address, TestLogger logger)
    {
        _app = app;
        Host = host;
        Address = address;
        Logger = logger;
    }

    /// <summary>The gRPC host; tests call BeginShutdown on it, or inspect its options.</summary>
    public GrpcServiceHost Host { get; }

    /// <summary>"http://127.0.0.1:port" or "https://127.0.0.1:port".</summary>
    public Uri Address { get; }

    /// <summary>What the host logged.</summary>
    public TestLogger Logger { get; }

    /// <summary>Starts a server.</summary>
    /// <param name="register">Registers the methods (and may keep a reference to the host).</param>
    /// <param name="configureOptions">Adjusts the host options (limits, interceptor, exception mapper).</param>
    /// <param name="certificate">Serve TLS with this certificate (with private key); null for cleartext h2c.</param>
    /// <param name="configureKestrel">Adjusts Kestrel after the gRPC limits are applied.</param>
    /// <param name="configureListener">Adjusts the endpoint after GrpcKestrel.ConfigureListener (e.g. other protocols).</param>
    public static async Task<GrpcTestServer> StartAsync(
        Action<GrpcServiceHost> register,
        Action<GrpcServerOptions>? configureOptions = null,
        X509Certificate2? certificate = null,
        Action<KestrelServerOptions>? configureKestrel = null,
        Action<ListenOptions>? configureListener = null)
    {
        ArgumentNullException.ThrowIfNull(register);
        var options = new GrpcServerOptions();
        configureOptions?.Invoke(options);
        var logger = new TestLogger();
        var host = new GrpcServiceHost(options, logger);
        register(host);

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            GrpcKestrel.ConfigureLimits(kestrel);
            configureKestrel?.Invoke(kestrel);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is null) GrpcKestrel.ConfigureListener(listen);
                else GrpcKestrel.ConfigureListener(listen, certificate);
                configureListener?.Invoke(listen);
            });
        });
        WebApplication app = builder.Build();
        app.Run(host.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        int port = new Uri(bound).Port;
        var address = new Uri($"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}");
        return new GrpcTestServer(app, host, address, logger);
    }

    /// <summary>A channel to this server; for TLS it accepts the server's (self-signed) certificate.</summary>
    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        if (Address.Scheme == Uri.UriSchemeHttps) options.ServerCertificateValidationCallback ??= (_, _, _, _) => true;
        return GrpcChannel.ForAddress(Address, options);
    }

    /// <summary>Stops the server, giving calls in flight a moment to end.</summary>
    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stopping.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
