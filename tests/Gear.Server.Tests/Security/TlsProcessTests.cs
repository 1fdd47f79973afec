using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Interop;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Security;

/// <summary>
/// <c>gear serve</c> with a certificate from a private CA and tokens: python3-grpcio and the C# channel connect
/// trusting only the CA; cleartext to the TLS port is refused; no token shows up in the logs, the metrics or
/// the dashboard's API.
/// </summary>
[TestClass]
public sealed class TlsProcessTests
{
    private const string Tokens = "tls-actor-7f3a=actor,tls-learner-91bc=learner,tls-admin-c2d4=admin";
    private static readonly string[] Secrets = Tokens.Split(',').Select(t => t.Split('=')[0]).ToArray();

    private static TestPki _pki = null!;
    private static string _directory = null!;
    private static string _caPem = null!;
    private static GearProcess _gear = null!;

    [ClassInitialize]
    public static async Task StartServer(TestContext context)
    {
        _pki = new TestPki();
        _directory = Directory.CreateTempSubdirectory("gear-tls-").FullName;
        var (ca, certificate, key) = _pki.WritePem(_directory);
        _caPem = ca;
        _gear = GearProcess.StartServe(
            ["--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0", "--tls-cert", certificate, "--tls-key", key],
            new Dictionary<string, string> { ["GEAR_TOKENS"] = Tokens });
        await _gear.WaitForLineAsync(line => line.Contains("ready: serving"), TimeSpan.FromSeconds(30));
    }

    [ClassCleanup]
    public static void StopServer()
    {
        _gear.Dispose();
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [TestMethod]
    public void PythonConnectsTrustingTheCa()
    {
        PythonPeer.RequireInstalled();
        var (exitCode, output) = PythonPeer.RunScenario("--address", HostPort, "--root-cert", _caPem, "--token", "tls-admin-c2d4", "--scenario", "tls");
        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "PASS tls");
    }

    [TestMethod]
    public void PythonCleartextToTheTlsPortIsRefused()
    {
        PythonPeer.RequireInstalled();
        var (exitCode, output) = PythonPeer.RunScenario("--address", HostPort, "--token", "tls-admin-c2d4", "--scenario", "plaintext_refused");
        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "PASS plaintext_refused");
    }

    [TestMethod]
    public async Task TheCSharpChannelConnectsTrustingTheCaAndOnlyThen()
    {
        Assert.AreEqual("https", _gear.GrpcAddress.Scheme);
        using (var trusting = GrpcChannel.ForAddress(_gear.GrpcAddress, new GrpcChannelOptions { TrustedRootCertificate = _pki.AuthorityPublic }))
        {
            var client = new ReplayClient(trusting, "tls-admin-c2d4");
            var table = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
            await client.InsertAsync(table, [1], 2);
            Assert.AreEqual(1, (await client.InfoAsync(table)).ItemCount);
        }

        using var otherCa = new TestPki();
        using (var wrongRoot = GrpcChannel.ForAddress(_gear.GrpcAddress, new GrpcChannelOptions { TrustedRootCertificate = otherCa.AuthorityPublic }))
        {
            var error = await Assert.ThrowsExceptionAsync<RpcException>(() => new ReplayClient(wrongRoot, "tls-admin-c2d4").Unary(ReplayMethods.ListTables, new ListTablesRequest()));
            Assert.AreEqual(StatusCode.Unavailable, error.StatusCode, "a certificate from another CA is not trusted");
        }

        var cleartext = new UriBuilder(_gear.GrpcAddress) { Scheme = "http" }.Uri;
        using var plain = GrpcChannel.ForAddress(cleartext);
        var refused = await Assert.ThrowsExceptionAsync<RpcException>(() => new ReplayClient(plain, "tls-admin-c2d4").Unary(ReplayMethods.ListTables, new ListTablesRequest(), TimeSpan.FromSeconds(10)));
        Assert.AreNotEqual(StatusCode.OK, refused.StatusCode);
    }

    [TestMethod]
    public async Task TokensNeverAppearInLogsMetricsOrTheDashboard()
    {
        // Calls with every token, a wrong one, and one that is refused for its role.
        using (var channel = GrpcChannel.ForAddress(_gear.GrpcAddress, new GrpcChannelOptions { TrustedRootCertificate = _pki.AuthorityPublic }))
        {
            foreach (var token in Secrets.Append("tls-wrong-token-5e6f"))
            {
                try
                {
                    await new ReplayClient(channel, token).Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = KnownSteps.Spec(KnownSteps.NewName()) });
                }
                catch (RpcException)
                {
                    // Refused for the role or the token: what matters is what the server wrote about it.
                }
            }
        }

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            TrustedRootValidation.For(_pki.AuthorityPublic)(this, certificate, null, errors) };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "tls-admin-c2d4");
        var pages = new List<string>();
        foreach (var route in new[] { "/metrics", "/api/v1/server", "/api/v1/tables", "/" })
        {
            using var response = await http.GetAsync(new Uri(_gear.AdminAddress, route));
            Assert.IsTrue(response.IsSuccessStatusCode, $"{route}: {response.StatusCode}");
            pages.Add(await response.Content.ReadAsStringAsync());
        }
        await Task.Delay(200); // the console logger writes asynchronously
        var everything = string.Join('\n', pages.Append(_gear.Stdout).Append(_gear.Stderr));
        foreach (var secret in Secrets.Append("tls-wrong-token-5e6f"))
            Assert.IsFalse(everything.Contains(secret, StringComparison.Ordinal), $"token {secret} leaked");
        StringAssert.Contains(_gear.Stdout, "3 tokens configured", "the log says how many, not which");
    }

    private static string HostPort => $"{_gear.GrpcAddress.Host}:{_gear.GrpcAddress.Port}";
}
