using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Grpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Client.Tests;

[TestClass]
public sealed class RetryPolicyTests
{
    [TestMethod]
    public void BackoffIsJitteredWithinAnExponentiallyGrowingCap()
    {
        var policy = new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1), BackoffMultiplier = 2 };
        var random = new Random(7);
        double[] caps = [100, 200, 400, 800, 1000, 1000];
        for (var retry = 1; retry <= caps.Length; retry++)
        {
            var waits = Enumerable.Range(0, 2000).Select(_ => policy.BackoffFor(retry, random).TotalMilliseconds).ToArray();
            Assert.IsTrue(waits.All(w => w >= 0 && w <= caps[retry - 1]), $"retry {retry}: a wait outside [0, {caps[retry - 1]}] ms");
            // Full jitter: spread over the whole range, not clustered at the cap.
            Assert.IsTrue(waits.Min() < caps[retry - 1] * 0.1 && waits.Max() > caps[retry - 1] * 0.9, $"retry {retry}: waits not spread over the range");
        }
    }

    [TestMethod]
    public void OnlyUnavailableIsRetryable()
    {
        foreach (var code in Enum.GetValues<StatusCode>())
            Assert.AreEqual(code == StatusCode.Unavailable, RetryPolicy.IsRetryable(code), code.ToString());
    }

    [TestMethod]
    public async Task SafeCallsAreRetriedAfterUnavailableAndUnsafeOnesAreNot()
    {
        var listCalls = 0;
        var createCalls = 0;
        var host = new GrpcServiceHost(new GrpcServerOptions(), NullLogger.Instance);
        host.AddUnary(ReplayMethods.ListTables, (ListTablesRequest _, ServerCallContext _) =>
            Interlocked.Increment(ref listCalls) <= 2
                ? throw new RpcException(new Status(StatusCode.Unavailable, "restarting"))
                : Task.FromResult(new ListTablesResponse()));
        host.AddUnary(ReplayMethods.CreateTable, (CreateTableRequest _, ServerCallContext _) =>
        {
            Interlocked.Increment(ref createCalls);
            throw new RpcException(new Status(StatusCode.Unavailable, "restarting"));
        });
        var (app, address) = await LoopbackServer.StartRawAsync(host);
        await using var _ = app;
        using var client = new GearClient(new GearClientOptions
        {
            Endpoints = [address],
            Retry = new RetryPolicy { MaxAttempts = 4, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20) },
        });

        var tables = await client.ListTablesAsync();
        Assert.AreEqual(0, tables.Count);
        Assert.AreEqual(3, listCalls, "ListTables: two UNAVAILABLE answers, then success on the third attempt");

        var e = await Assert.ThrowsExceptionAsync<RpcException>(() => client.CreateTableAsync(LoopbackServer.Spec("t", Selector.Uniform, LoopbackServer.Column("x", DType.F32))));
        Assert.AreEqual(StatusCode.Unavailable, e.StatusCode);
        Assert.AreEqual(1, createCalls, "CreateTable must not be retried");
    }

    [TestMethod]
    public async Task RetriesStopAfterMaxAttempts()
    {
        var calls = 0;
        var host = new GrpcServiceHost(new GrpcServerOptions(), NullLogger.Instance);
        host.AddUnary(ReplayMethods.GetServerInfo, (GetServerInfoRequest _, ServerCallContext _) =>
        {
            Interlocked.Increment(ref calls);
            throw new RpcException(new Status(StatusCode.Unavailable, "down"));
        });
        var (app, address) = await LoopbackServer.StartRawAsync(host);
        await using var _ = app;
        using var client = new GearClient(new GearClientOptions
        {
            Endpoints = [address],
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10) },
        });
        var e = await Assert.ThrowsExceptionAsync<RpcException>(() => client.GetServerInfoAsync());
        Assert.AreEqual(StatusCode.Unavailable, e.StatusCode);
        Assert.AreEqual(3, calls);
    }

    [TestMethod]
    public async Task OtherStatusesAreNotRetried()
    {
        var calls = 0;
        var host = new GrpcServiceHost(new GrpcServerOptions(), NullLogger.Instance);
        host.AddUnary(ReplayMethods.ListTables, (ListTablesRequest _, ServerCallContext _) =>
        {
            Interlocked.Increment(ref calls);
            throw new RpcException(new Status(StatusCode.Internal, "broken"));
        });
        var (app, address) = await LoopbackServer.StartRawAsync(host);
        await using var _ = app;
        using var client = new GearClient(address);
        var e = await Assert.ThrowsExceptionAsync<RpcException>(() => client.ListTablesAsync());
        Assert.AreEqual(StatusCode.Internal, e.StatusCode);
        Assert.AreEqual(1, calls);
    }

    [TestMethod]
    public async Task AnUnreachableServerFailsWithUnavailableAfterRetries()
    {
        // A port nothing listens on: bind one, note it, close it.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = new GearClient(new GearClientOptions
        {
            Endpoints = [new Uri($"http://127.0.0.1:{port}")],
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10) },
        });
        var e = await Assert.ThrowsExceptionAsync<RpcException>(() => client.ListTablesAsync());
        Assert.AreEqual(StatusCode.Unavailable, e.StatusCode);
    }

    [TestMethod]
    public async Task BatchStreamReopensAfterUnavailableAndKeepsCounting()
    {
        var opened = new List<SampleStreamRequest>();
        var host = new GrpcServiceHost(new GrpcServerOptions(), NullLogger.Instance);
        host.AddUnary(ReplayMethods.ListTables, (ListTablesRequest _, ServerCallContext _) =>
        {
            var list = new ListTablesResponse();
            list.Tables.Add(new TableInfo { Spec = TableFill.ValueTable("t", Selector.Uniform) });
            return Task.FromResult(list);
        });
        host.AddServerStreaming(ReplayMethods.SampleStream, async (SampleStreamRequest request, IServerStreamWriter<SampleResponse> responses, ServerCallContext _) =>
        {
            int attempt;
            lock (opened)
            {
                opened.Add(request);
                attempt = opened.Count;
            }
            // The first stream delivers two batches and breaks; the second fails at once; the third serves the rest.
            var batches = attempt switch { 1 => 2, 2 => 0, _ => (int)request.MaxBatches };
            for (var i = 0; i < batches; i++)
            {
                var reply = new SampleResponse { BatchSize = 1, WindowLength = 1, Mask = Google.Protobuf.ByteString.CopyFrom(1), ItemCount = 1, SelectionMass = 1 };
                reply.Columns.Add(Google.Protobuf.ByteString.CopyFrom(BitConverter.GetBytes(attempt * 100 + i)));
                reply.Keys.Add(1);
                reply.TrajectoryKeys.Add(1);
                reply.StartSteps.Add(0);
                reply.Probabilities.Add(1);
                reply.ImportanceWeights.Add(1);
                await responses.WriteAsync(reply);
            }
            if (attempt < 3)
                throw new RpcException(new Status(StatusCode.Unavailable, "restarting"));
        });
        var (app, address) = await LoopbackServer.StartRawAsync(host);
        await using var _ = app;
        using var client = new GearClient(new GearClientOptions
        {
            Endpoints = [address],
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10) },
        });
        await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 1, MaxBatches = 5, Seed = 11, BatchesInFlight = 3 });
        var values = new List<int>();
        var sequences = new List<long>();
        await foreach (var batch in stream)
        {
            using (batch)
            {
                values.Add(batch.Column<int>("value")[0]);
                sequences.Add(batch.Sequence);
            }
        }
        CollectionAssert.AreEqual(new[] { 100, 101, 300, 301, 302 }, values);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4 }, sequences);
        Assert.AreEqual(3, opened.Count);
        Assert.AreEqual(5, opened[0].MaxBatches);
        Assert.AreEqual(3, opened[2].MaxBatches, "a reopened stream asks only for the batches still owed");
        Assert.AreEqual(3, opened[0].BatchesInFlight, "BatchesInFlight maps to batches_in_flight");
        Assert.AreNotEqual(opened[0].Sample.Seed, opened[2].Sample.Seed, "a reopened stream must not replay the first one's selections");
    }
}
