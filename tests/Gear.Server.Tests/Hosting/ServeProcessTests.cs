using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gear.Server.Tests.Configuration;
using Gear.Tests.Shared;
using Google.Protobuf;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Tests.Hosting;

/// <summary>End-to-end: the built <c>gear serve</c> as a child process on loopback, system-chosen ports.</summary>
[TestClass]
public sealed class ServeProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    [TestMethod]
    public async Task StartsAndPrintsItsAddressesBackendAndTables()
    {
        using var gear = await GearProcess.StartReadyAsync();
        var output = gear.Stdout;

        Assert.AreNotEqual(0, gear.GrpcAddress.Port, "the printed address must be the bound port, not 0");
        Assert.AreNotEqual(0, gear.AdminAddress.Port);
        Assert.AreEqual("127.0.0.1", gear.GrpcAddress.Host);
        Assert.AreEqual("http", gear.GrpcAddress.Scheme);
        // Without a usable GPU (this machine), auto says why it took the CPU; with one, it names the device.
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"backend (cpu: device auto: no usable GPU \(.+\); using the CPU backend|cuda:0: device auto: cuda:0: )"));
        StringAssert.Contains(output, "data plane listening on tcp://127.0.0.1:");
        StringAssert.Contains(output, "data plane: rdma");  // "rdma unavailable: no RDMA device ..." here, "rdma on ..." on an RDMA machine
        StringAssert.Contains(output, "table 'replay'");
        StringAssert.Contains(output, "table 'prioritized'");
        StringAssert.Contains(output, "ready: serving 2 tables (replay, prioritized)");
        Assert.AreEqual("", gear.Stderr);
    }

    [TestMethod]
    public async Task AdminAnswersHealthzAndReadyz()
    {
        using var gear = await GearProcess.StartReadyAsync();
        using var http = new HttpClient { BaseAddress = gear.AdminAddress };

        using var health = await http.GetAsync("/healthz");
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
        Assert.AreEqual("ok\n", await health.Content.ReadAsStringAsync());
        using var ready = await http.GetAsync("/readyz");
        Assert.AreEqual(HttpStatusCode.OK, ready.StatusCode);
        // The admin listener is not the gRPC listener: a gRPC path there is unknown.
        using var grpcPath = await http.GetAsync("/gear.v1.Replay/ListTables");
        Assert.AreEqual(HttpStatusCode.NotFound, grpcPath.StatusCode);
    }

    [TestMethod]
    public async Task GrpcListenerSpeaksCleartextHttp2AnswersWithAGrpcStatusAndLogsTheConnection()
    {
        using var gear = await GearProcess.StartReadyAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gear.GrpcAddress, "/gear.v1.NoSuchService/NoSuchMethod"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact, // h2c with prior knowledge, as gRPC clients do
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await response.Content.ReadAsByteArrayAsync();

        Assert.AreEqual(HttpVersion.Version20, response.Version);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        var status = response.Headers.TryGetValues("grpc-status", out var inHeaders) ? inHeaders.Single()
            : response.TrailingHeaders.GetValues("grpc-status").Single();
        Assert.AreEqual("12", status, "an unknown method is UNIMPLEMENTED");
        http.Dispose();
        await gear.WaitForLineAsync(line => line.Contains("connection") && line.Contains("opened"), TimeSpan.FromSeconds(10));
        await gear.WaitForLineAsync(line => line.Contains("connection") && line.Contains("closed after"), TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task SigtermDrainsAndExitsZeroPromptly()
    {
        using var gear = await GearProcess.StartReadyAsync("--shutdown-drain-seconds", "2");
        var clock = Stopwatch.StartNew();
        gear.Terminate();

        Assert.AreEqual(0, await gear.WaitForExitAsync(ExitTimeout));
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} to exit");
        StringAssert.Contains(gear.Stdout, "shutting down: ending in-flight calls with UNAVAILABLE, draining for up to 2 s");
        StringAssert.Contains(gear.Stdout, "stopped");
    }

    [TestMethod]
    public async Task CtrlCExitsZero()
    {
        // A child inherits an ignored SIGINT, and the .NET runtime leaves an ignored SIGINT ignored (as shells
        // do for background jobs): started as `./test.sh &` from a shell without job control, no Ctrl-C can
        // reach gear here at all.
        if (GearProcess.SigIntIgnoredHere())
            Assert.Inconclusive("SIGINT is ignored by this test process (started in the background by a shell without job control), so the gear child ignores it too; run the tests in the foreground");
        using var gear = await GearProcess.StartReadyAsync();
        gear.Interrupt();
        Assert.AreEqual(0, await gear.WaitForExitAsync(ExitTimeout));
        StringAssert.Contains(gear.Stdout, "shutting down");
    }

    [TestMethod]
    [DataRow("--grpc", "gRPC")]
    [DataRow("--admin", "admin")]
    public async Task AnAddressInUseFailsWithAClearMessage(string flag, string listener)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = $"127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var arguments = new List<string> { "--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0" };
        arguments[arguments.IndexOf(flag) + 1] = address;

        using var gear = GearProcess.StartServe(arguments);
        var exitCode = await gear.WaitForExitAsync(ExitTimeout);

        Assert.AreEqual(1, exitCode);
        StringAssert.Contains(gear.Stderr, $"{listener} address {address} is already in use");
        Assert.IsFalse((gear.Stdout + gear.Stderr).Contains("   at "), "no stack trace:\n" + gear.Stdout + gear.Stderr);
    }

    [TestMethod]
    public async Task InvalidConfigurationExitsTwoNamingTheField()
    {
        using var directory = new TempDirectory();
        var config = directory.Write("gear.json", """{ "tokens": { "tok": "superuser" } }""");
        using var gear = GearProcess.StartServe(["--config", config]);

        Assert.AreEqual(2, await gear.WaitForExitAsync(ExitTimeout));
        Assert.AreEqual("gear serve: invalid configuration: tokens (entry 1): unknown role 'superuser'; roles are actor, learner and admin",
            gear.Stderr.Trim());
        Assert.AreEqual("", gear.Stdout, "nothing starts");
    }

    [TestMethod]
    public async Task CudaDeviceWithoutAUsableGpuIsAStartErrorWithTheReason()
    {
        using (var cuda = Gear.Core.Compute.Cuda.CudaBackend.TryCreate(0, out var description))
        {
            if (cuda is not null)
                Assert.Inconclusive($"a GPU is usable here ({description}); this checks machines without one");
        }
        // Port 0 everywhere: the default ports may be taken by other servers on the machine, which would fail first.
        using var gear = GearProcess.StartServe(["--device", "cuda:0", "--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0"]);
        Assert.AreEqual(Gear.Server.Hosting.ExitCodes.StartFailed, await gear.WaitForExitAsync(ExitTimeout));
        StringAssert.Contains(gear.Stderr, "gear serve: device cuda:0 cannot be used: ");
        StringAssert.Contains(gear.Stderr, "Use --device auto");
    }

    [TestMethod]
    public async Task TokensAreNeverPrinted()
    {
        const string secret = "do-not-print-me-0123456789";
        using var gear = GearProcess.StartServe(
            ["--grpc", "0.0.0.0:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0", "--log-level", "trace"],
            new Dictionary<string, string> { ["GEAR_TOKENS"] = $"{secret}=admin" });
        await gear.WaitForLineAsync(line => line.Contains("ready: serving"), TimeSpan.FromSeconds(30));
        gear.Terminate();
        await gear.WaitForExitAsync(ExitTimeout);

        StringAssert.Contains(gear.Stdout, "1 tokens configured");
        Assert.IsFalse((gear.Stdout + gear.Stderr).Contains(secret), "a token was printed");
    }

    [TestMethod]
    public async Task ServesTlsOnBothListenersWithAPemCertificate()
    {
        using var directory = new TempDirectory();
        var (certificate, key) = TestCertificates.WritePem(directory);
        using var gear = await GearProcess.StartReadyAsync("--tls-cert", certificate, "--tls-key", key);
        Assert.AreEqual("https", gear.GrpcAddress.Scheme);
        Assert.AreEqual("https", gear.AdminAddress.Scheme);

        // The test trusts the self-signed certificate it just made, and only that one.
        using var expected = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(certificate));
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == expected.Thumbprint,
        };
        using var http = new HttpClient(handler);
        using var health = await http.GetAsync(new Uri(gear.AdminAddress, "/healthz"));
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);

        using var grpc = new HttpRequestMessage(HttpMethod.Post, new Uri(gear.GrpcAddress, "/gear.v1.NoSuchService/NoSuchMethod"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        grpc.Content.Headers.ContentType = new("application/grpc");
        using var response = await http.SendAsync(grpc);
        Assert.AreEqual(HttpVersion.Version20, response.Version, "gRPC over TLS negotiates HTTP/2");
    }

    [TestMethod]
    public async Task ATableTheRegistryRefusesExitsTwoNamingTheTable()
    {
        using var directory = new TempDirectory();
        var config = directory.Write("gear.json", """
            { "listen": { "grpc": "127.0.0.1:0", "admin": "127.0.0.1:0", "dataPlane": "127.0.0.1:0" },
              "tables": [ { "name": "tiny", "columns": [ { "name": "x", "dtype": "DTYPE_F32" } ],
                            "hostCapacityBytes": "1", "maxTrajectories": 1, "sampler": "SELECTOR_UNIFORM" } ] }
            """);
        using var gear = GearProcess.StartServe(["--config", config]);

        Assert.AreEqual(2, await gear.WaitForExitAsync(ExitTimeout));
        StringAssert.Contains(gear.Stderr, "gear serve: tables[0] ('tiny'): ");
        StringAssert.Contains(gear.Stderr, "host_capacity_bytes");
        Assert.IsFalse(gear.Stdout.Contains("ready: serving"), "never ready");
    }

    [TestMethod]
    public async Task CheckValidatesWithoutStarting()
    {
        using var gear = GearProcess.StartServe(["--check", "--grpc", "127.0.0.1:1234"]);
        Assert.AreEqual(0, await gear.WaitForExitAsync(ExitTimeout));
        StringAssert.StartsWith(gear.Stdout, "configuration is valid: gRPC 127.0.0.1:1234, admin 127.0.0.1:8080");
        StringAssert.Contains(gear.Stdout, "2 tables (replay, prioritized)");
    }

    [TestMethod]
    public async Task PrintDefaultConfigPrintsAConfigThatRunsAsIs()
    {
        using var printer = GearProcess.StartServe(["--print-default-config"]);
        Assert.AreEqual(0, await printer.WaitForExitAsync(ExitTimeout));
        using var directory = new TempDirectory();
        var file = directory.Write("gear.json", printer.Stdout);

        using var check = GearProcess.StartServe(["--check", "--config", file]);
        Assert.AreEqual(0, await check.WaitForExitAsync(ExitTimeout), check.Stderr);
        StringAssert.Contains(check.Stdout, "2 tables (replay, prioritized)");
    }

    [TestMethod]
    public async Task SigtermEndsAnInFlightCallWithUnavailable()
    {
        using var gear = await GearProcess.StartReadyAsync("--shutdown-drain-seconds", "3");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // Sampling the empty 'replay' table waits on its rate limiter (MinSize 1): a call that stays in flight.
        var sample = new Wire.SampleRequest { Table = "replay", BatchSize = 1, WindowLength = 1 };
        var call = http.SendAsync(GrpcRequest(gear.GrpcAddress, "/gear.v1.Replay/Sample", sample));

        await Task.WhenAny(call, Task.Delay(TimeSpan.FromMilliseconds(700)));
        if (call.IsCompleted)
        {
            using var early = await call;
            Assert.Fail($"Sample on an empty table should wait, but ended with grpc-status {GrpcStatus(early)}");
        }

        var clock = Stopwatch.StartNew();
        gear.Terminate();
        using var response = await call;
        await response.Content.ReadAsByteArrayAsync();

        Assert.AreEqual("14", GrpcStatus(response), "in-flight calls end with UNAVAILABLE at shutdown");
        Assert.AreEqual(0, await gear.WaitForExitAsync(ExitTimeout));
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} to exit");
    }

    private static HttpRequestMessage GrpcRequest(Uri server, string path, IMessage message)
    {
        var payload = message.ToByteArray();
        var framed = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), payload.Length);
        payload.CopyTo(framed, 5);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(framed),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        return request;
    }

    // Trailers-Only responses carry grpc-status in the headers, others in the trailers.
    private static string? GrpcStatus(HttpResponseMessage response) =>
        response.Headers.TryGetValues("grpc-status", out var headers) ? headers.Single()
        : response.TrailingHeaders.TryGetValues("grpc-status", out var trailers) ? trailers.Single() : null;
}
