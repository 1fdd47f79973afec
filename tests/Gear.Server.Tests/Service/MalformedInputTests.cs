using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Grpc;
using Google.Protobuf;

namespace Gear.Server.Tests.Service;

/// <summary>
/// Hand-made bad requests against the replay service: each gets a defined status (never UNKNOWN, which would
/// mean an unhandled exception), the server keeps serving, and the table is unchanged.
/// </summary>
[TestClass]
public sealed class MalformedInputTests
{
    private static ServiceHarness _server = null!;
    private static ReplayClient _client = null!;
    private static RawGrpcClient _raw = null!;
    private static string _table = null!;

    [ClassInitialize]
    public static async Task StartServer(TestContext context)
    {
        _server = await ServiceHarness.StartAsync();
        _client = _server.Client();
        _raw = new RawGrpcClient(_server.Channel.Address);
        _table = await _client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await _client.InsertAsync(_table, [1, 2, 3], 4);
    }

    [ClassCleanup]
    public static async Task StopServer()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    private static readonly string[] Paths =
    [
        ReplayMethods.InsertStream.FullName, ReplayMethods.Sample.FullName, ReplayMethods.SampleStream.FullName,
        ReplayMethods.UpdatePriorities.FullName, ReplayMethods.Delete.FullName, ReplayMethods.CreateTable.FullName,
    ];

    [TestMethod]
    public async Task FramingErrorsGetTheirStatusOnEveryMethod()
    {
        var before = await TableState();
        var random = new Random(17);
        foreach (var path in Paths)
        {
            var noise = new byte[64];
            random.NextBytes(noise);
            noise[0] = 0; // a plausible, uncompressed frame header with a random length
            await Expect(path, noise, StatusCode.Internal, StatusCode.ResourceExhausted);
            await Expect(path, Frame(new SampleRequest { Table = _table, BatchSize = 1, WindowLength = 1 })[..4], StatusCode.Internal);
            var oversize = new byte[5];
            LengthPrefixedMessage.WriteHeader(oversize, int.MaxValue);
            await Expect(path, oversize, StatusCode.ResourceExhausted);
            await Expect(path, Frame(noise), StatusCode.Internal);

            var wrongType = await _raw.PostAsync(path, Frame(new SampleRequest()), contentType: "application/json");
            Assert.AreEqual(415, wrongType.HttpStatus, path);
        }
        Assert.AreEqual(before, await TableState());
        await _client.Unary(ReplayMethods.Sample, new SampleRequest { Table = _table, BatchSize = 2, WindowLength = 1 });
    }

    [TestMethod]
    public async Task MutatedInsertStreamsNeverCorruptTheTable()
    {
        var before = await TableState();
        var random = new Random(23);
        var good = Frame(KnownSteps.Append(_table, 99, 3));
        var unknownOutcomes = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var mutated = (byte[])good.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                mutated[5 + random.Next(mutated.Length - 5)] ^= (byte)(1 << random.Next(8));
            // No end: whatever a mutated append opens must be abandoned when the stream ends.
            var response = await _raw.PostAsync(ReplayMethods.InsertStream.FullName, mutated);
            if (response.GrpcStatus is null || response.GrpcStatus == ((int)StatusCode.Unknown).ToString())
                unknownOutcomes.Add($"mutation {i}: status {response.GrpcStatus ?? "none"} {response.GrpcMessage}");
        }
        Assert.AreEqual(0, unknownOutcomes.Count, string.Join("\n", unknownOutcomes.Take(5)));
        Assert.AreEqual(before, await TableState(), "no mutated stream left steps, items or open trajectories behind");
    }

    // SampleStream is left out: a mutation can legitimately ask for an endless stream.
    [TestMethod]
    public async Task MutatedUnaryRequestsGetDefinedStatuses()
    {
        var random = new Random(29);
        var requests = new (string Path, byte[] Frame)[]
        {
            (ReplayMethods.Sample.FullName, Frame(new SampleRequest { Table = _table, BatchSize = 4, WindowLength = 2, Placement = WindowPlacement.Start })),
            (ReplayMethods.UpdatePriorities.FullName, Frame(new UpdatePrioritiesRequest { Table = _table, Keys = { 1, 2 }, Priorities = { 1, 2 } })),
            (ReplayMethods.CreateTable.FullName, Frame(new CreateTableRequest { Spec = KnownSteps.Spec("m") })),
        };
        var unknownOutcomes = new List<string>();
        foreach (var (path, frame) in requests)
        {
            for (var i = 0; i < 100; i++)
            {
                var mutated = (byte[])frame.Clone();
                mutated[5 + random.Next(mutated.Length - 5)] ^= (byte)(1 << random.Next(8));
                var response = await _raw.PostAsync(path, mutated);
                if (response.GrpcStatus is null || response.GrpcStatus == ((int)StatusCode.Unknown).ToString())
                    unknownOutcomes.Add($"{path} mutation {i}: status {response.GrpcStatus ?? "none"} {response.GrpcMessage}");
            }
        }
        Assert.AreEqual(0, unknownOutcomes.Count, string.Join("\n", unknownOutcomes.Take(5)));
        await _client.Unary(ReplayMethods.GetServerInfo, new GetServerInfoRequest());
    }

    private static async Task Expect(string path, byte[] body, params StatusCode[] allowed)
    {
        var response = await _raw.PostAsync(path, body);
        Assert.AreEqual(200, response.HttpStatus, path);
        CollectionAssert.Contains(allowed.Select(c => ((int)c).ToString()).ToArray(), response.GrpcStatus,
            $"{path}: got {response.GrpcStatus} {response.GrpcMessage}");
    }

    private static async Task<string> TableState()
    {
        var info = await _client.InfoAsync(_table);
        return $"items {info.ItemCount}, steps {info.StoredSteps}, open {info.OpenTrajectories}, pages free {info.PagesFree}";
    }

    private static byte[] Frame(IMessage message) => GrpcHttpLevelTests.Frame(message);

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[5 + body.Length];
        LengthPrefixedMessage.WriteHeader(frame, body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }
}
