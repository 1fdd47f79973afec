using System.Net;
using Gear.Server.Configuration;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class ListenAddressTests
{
    [TestMethod]
    [DataRow("127.0.0.1:50051", "127.0.0.1", 50051, true)]
    [DataRow("localhost:8080", "127.0.0.1", 8080, true)]
    [DataRow("[::1]:9", "::1", 9, true)]
    [DataRow("0.0.0.0:0", "0.0.0.0", 0, false)]
    [DataRow("[::]:65535", "::", 65535, false)]
    [DataRow("10.1.2.3:443", "10.1.2.3", 443, false)]
    public void ParsesIpAddressesAndLocalhost(string text, string ip, int port, bool loopback)
    {
        var address = ListenAddress.Parse(text, "listen.grpc");
        Assert.AreEqual(IPAddress.Parse(ip), address.Address);
        Assert.AreEqual(port, address.Port);
        Assert.AreEqual(loopback, address.IsLoopback);
    }

    [TestMethod]
    [DataRow("", "empty")]
    [DataRow("127.0.0.1", "no port")]
    [DataRow("127.0.0.1:", "no port")]
    [DataRow("127.0.0.1:65536", "port '65536'")]
    [DataRow("127.0.0.1:-1", "port '-1'")]
    [DataRow("127.0.0.1:http", "port 'http'")]
    [DataRow("example.com:80", "'example.com' is not an IP address")]
    [DataRow("::1:80", "is not an IP address")]
    [DataRow("[127.0.0.1]:80", "is not an IP address")]
    public void RefusesBadAddressesNamingTheField(string text, string problem) =>
        ConfigAssert.FailsAt("--admin", () => ListenAddress.Parse(text, "--admin"), problem);

    [TestMethod]
    public void OverlapIsSamePortOnTheSameOrAnyAddress()
    {
        var loopback = ListenAddress.Parse("127.0.0.1:5000", "a");
        Assert.IsTrue(loopback.Overlaps(ListenAddress.Parse("127.0.0.1:5000", "b")));
        Assert.IsTrue(loopback.Overlaps(ListenAddress.Parse("0.0.0.0:5000", "b")));
        Assert.IsFalse(loopback.Overlaps(ListenAddress.Parse("127.0.0.2:5000", "b")));
        Assert.IsFalse(loopback.Overlaps(ListenAddress.Parse("127.0.0.1:5001", "b")));
        // Port 0 means "any free port": two listeners asking for one never collide.
        Assert.IsFalse(ListenAddress.Parse("127.0.0.1:0", "a").Overlaps(ListenAddress.Parse("127.0.0.1:0", "b")));
    }

    [TestMethod]
    public void PrintsIpv6InBrackets() =>
        Assert.AreEqual("[::1]:50051", ListenAddress.Parse("[::1]:50051", "x").ToString());
}
