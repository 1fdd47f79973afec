using System.Net;
using System.Net.Sockets;
using Gear.Server.Configuration;
using Gear.Server.Hosting;
using Microsoft.AspNetCore.Connections;

namespace Gear.Server.Tests.Hosting;

[TestClass]
public sealed class ListenerBindFailureTests
{
    [TestMethod]
    public void ProbeNamesTheListenerWhoseAddressIsTaken()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var message = ListenerBindFailure.Probe([
            new("gRPC", new ListenAddress(IPAddress.Loopback, 0)),
            new("admin", new ListenAddress(IPAddress.Loopback, port)),
        ]);

        Assert.AreEqual($"admin address 127.0.0.1:{port} is already in use; stop the other process or choose another port", message);
    }

    [TestMethod]
    public void TheDataPlaneListenerFailsToBindWithTheSameClearMessage()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = new ListenAddress(IPAddress.Loopback, ((IPEndPoint)taken.LocalEndpoint).Port);

        Assert.AreEqual($"data plane address {address} is already in use; stop the other process or choose another port",
            ListenerBindFailure.Probe([new("data plane", address)]));
        using var tables = new Gear.Server.Service.TableRegistry(new Gear.Core.Compute.Cpu.CpuBackend(), Microsoft.Extensions.Logging.Abstractions.NullLogger<Gear.Server.Service.TableRegistry>.Instance);
        var e = Assert.ThrowsException<SocketException>(() => Gear.Server.DataPlane.TcpDataPlane.Start(address.EndPoint, tables,
            new Gear.Server.Admin.Metrics.GearMetrics(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        Assert.AreEqual($"data plane address {address} is already in use; stop the other process or choose another port",
            ListenerBindFailure.Describe(e, new("data plane", address)));
    }

    [TestMethod]
    public void ProbeOfFreeAddressesFindsNothingAndLeavesThemFree()
    {
        int port;
        using (var free = new TcpListener(IPAddress.Loopback, 0))
        {
            free.Start();
            port = ((IPEndPoint)free.LocalEndpoint).Port;
        }
        Assert.IsNull(ListenerBindFailure.Probe([new("gRPC", new ListenAddress(IPAddress.Loopback, port))]));

        // The probe released the port: binding it again works.
        using var again = new TcpListener(IPAddress.Loopback, port);
        again.Start();
    }

    [TestMethod]
    public void DescribesKestrelsBindFailureByListener()
    {
        var listeners = new ListenerBindFailure.Listener[]
        {
            new("gRPC", new ListenAddress(IPAddress.Loopback, 50051)),
            new("admin", new ListenAddress(IPAddress.Loopback, 8080)),
        };
        var kestrel = new IOException("Failed to bind to address http://127.0.0.1:8080: address already in use.",
            new AddressInUseException("Address already in use"));

        Assert.AreEqual("admin address 127.0.0.1:8080 is already in use; stop the other process or choose another port",
            ListenerBindFailure.Describe(kestrel, listeners));
        Assert.IsNull(ListenerBindFailure.Describe(new InvalidOperationException("unrelated"), listeners));
    }
}
