using System.Net.Http;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Grpc;
using Gear.Server.Tests.Service;
using Google.Protobuf;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Mutated requests for every method of gear.v1.Replay, sent as raw gRPC-over-HTTP/2 calls to an in-process
/// server: mostly valid framing around mutated protobuf, sometimes mutated framing. Every reply must carry a
/// defined grpc-status (UNKNOWN would mean an unhandled exception); after every batch the server still answers,
/// every table's sizes add up, and the fuzzed tables still sample.
/// </summary>
[TestClass]
public sealed class GrpcRequestFuzzTests
{
    /// <summary>Short enough that blocking calls (a sample on an empty table, an endless stream) cost little.</summary>
    private static readonly KeyValuePair<string, string>[] Deadline = [KeyValuePair.Create("grpc-timeout", "300m")];

    /// <summary>The table a valid DropTable, Reset or CreateTable names, so unmutated requests leave the fuzzed tables alone.</summary>
    private const string Decoy = "fuzz-decoy";

    private static ServiceHarness _server = null!;
    private static ReplayClient _client = null!;
    private static RawGrpcClient _raw = null!;
    private static string[] _tables = null!;

    [ClassInitialize]
    public static async Task StartServer(TestContext _)
    {
        _server = await ServiceHarness.StartAsync();
        _client = _server.Client();
        _raw = new RawGrpcClient(_server.Channel.Address);
        _tables = [.. SeedTables.Specs("fuzz").Select(s => s.Name)];
        await RestoreTablesAsync();
    }

    [ClassCleanup]
    public static async Task StopServer()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    [TestMethod]
    public async Task MutatedRequestsForEveryMethodGetADefinedStatus()
    {
        var calls = ValidCalls();
        CollectionAssert.AreEquivalent(ReplayMethodNames(), calls.Select(c => c.Path).Distinct().ToArray(), "every method is fuzzed");
        var everyMessage = calls.SelectMany(c => c.Messages).Select(m => m.ToByteArray()).ToArray();
        var statuses = new Dictionary<string, int>();

        await FuzzCampaign.RunAsync("grpc requests", FuzzBudget.For(defaultInputs: 1200, defaultSeed: 59), async (mutator, i) =>
        {
            var (path, messages) = calls[i % calls.Length];
            var body = Mutated(mutator, messages, everyMessage);
            RawResponse response;
            try
            {
                response = await _raw.PostAsync(path, body, headers: Deadline);
            }
            catch (HttpRequestException e)
            {
                return $"{path}: no gRPC reply ({e.Message} {e.InnerException?.Message} {e.InnerException?.InnerException?.Message}) body {Convert.ToHexString(body)}";
            }
            statuses[response.GrpcStatus ?? "none"] = statuses.GetValueOrDefault(response.GrpcStatus ?? "none") + 1;
            return IsDefinedStatus(response) ? null : $"{path}: HTTP {response.HttpStatus}, grpc-status {response.GrpcStatus ?? "none"} {response.GrpcMessage}";
        }, CheckServerAsync);

        Console.WriteLine("grpc-status counts: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        // Both kinds of outcome, or the mutations only ever hit the framing (or never broke anything).
        Assert.IsTrue(statuses.GetValueOrDefault("0") > 0, "some mutated requests were still served");
        Assert.IsTrue(statuses.Count > 3, "mutations reached several kinds of refusal");
    }

    /// <summary>
    /// The call's messages framed, with mutations: half the time a field of one message gets a boundary value
    /// (it still parses and reaches validation), a quarter of the time one message's bytes are mutated, and a
    /// quarter of the time the framed stream itself (prefixes included).
    /// </summary>
    private static byte[] Mutated(Mutator mutator, IMessage[] messages, byte[][] everyMessage)
    {
        var kind = mutator.Random.Next(4);
        if (kind == 0)
            return mutator.Mutate(Frame([.. messages.Select(m => m.ToByteArray())]), everyMessage);
        var target = mutator.Random.Next(messages.Length);
        return Frame([.. messages.Select((m, i) => i != target ? m.ToByteArray()
            : kind == 1 ? mutator.Mutate(m.ToByteArray(), everyMessage)
            : ProtoFieldMutator.Mutate(m, mutator.Random))]);
    }

    /// <summary>HTTP 200 with a grpc-status that names a status code other than UNKNOWN.</summary>
    private static bool IsDefinedStatus(RawResponse response) =>
        response.HttpStatus == 200
        && int.TryParse(response.GrpcStatus, out var code)
        && Enum.IsDefined((StatusCode)code)
        && (StatusCode)code != StatusCode.Unknown;

    /// <summary>
    /// The server answers; every table's sizes add up; tables the fuzzer made are dropped (bounding memory) and
    /// the fuzzed tables are refilled where a mutated Delete, Reset or DropTable emptied them, then sampled.
    /// </summary>
    private static async Task CheckServerAsync()
    {
        var info = await _client.Unary(ReplayMethods.GetServerInfo, new GetServerInfoRequest());
        var tables = (await _client.Unary(ReplayMethods.ListTables, new ListTablesRequest())).Tables;
        Assert.AreEqual(info.TableCount, tables.Count, "server info and ListTables agree");
        foreach (var table in tables)
        {
            var name = table.Spec.Name;
            Assert.IsTrue(table.ItemCount >= 0 && table.ClosedTrajectories >= 0 && table.OpenTrajectories >= 0 && table.StoredSteps >= 0, $"{name}: {table}");
            Assert.IsTrue(table.PagesFree >= 0 && table.PagesFree <= table.PagesTotal, $"{name}: pages {table.PagesFree} free of {table.PagesTotal}");
            Assert.IsTrue(table.BytesUsed >= 0 && table.BytesUsed <= table.BytesReserved, $"{name}: {table.BytesUsed} bytes used of {table.BytesReserved}");
            if (!_tables.Contains(name))
                await _client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = name });
        }
        await RestoreTablesAsync();
        foreach (var table in _tables)
        {
            var reply = await _client.Unary(ReplayMethods.Sample, ValidSample(table));
            Assert.AreEqual(4, reply.BatchSize, $"{table} samples a full batch after the fuzzing");
        }
    }

    private static async Task RestoreTablesAsync()
    {
        var present = (await _client.Unary(ReplayMethods.ListTables, new ListTablesRequest())).Tables.ToDictionary(t => t.Spec.Name);
        foreach (var spec in SeedTables.Specs("fuzz"))
        {
            if (!present.TryGetValue(spec.Name, out var table))
                await _client.CreateTableAsync(spec);
            if (table is null || table.ItemCount < 8)
                await _client.InsertAsync(spec.Name, Enumerable.Range(1, 8).Select(t => (ulong)t), 3);
        }
    }

    private static SampleRequest ValidSample(string table) => new()
    {
        Table = table, BatchSize = 4, WindowLength = 2, Placement = WindowPlacement.Start, ImportanceExponent = 0.4, Seed = 3,
    };

    /// <summary>A valid call of every method (two tables for the table-level ones), as serialized request messages.</summary>
    private static (string Path, IMessage[] Messages)[] ValidCalls()
    {
        var calls = new List<(string, IMessage[])>
        {
            (ReplayMethods.CreateTable.FullName, [new CreateTableRequest { Spec = KnownSteps.Spec(Decoy) }]),
            (ReplayMethods.DropTable.FullName, [new DropTableRequest { Table = Decoy }]),
            (ReplayMethods.ListTables.FullName, [new ListTablesRequest()]),
            (ReplayMethods.GetServerInfo.FullName, [new GetServerInfoRequest()]),
            (ReplayMethods.Reset.FullName, [new ResetRequest { Table = Decoy }]),
            (ReplayMethods.Checkpoint.FullName, [new CheckpointRequest()]),
        };
        foreach (var table in _tables)
        {
            var sample = ValidSample(table);
            calls.Add((ReplayMethods.InsertStream.FullName,
            [
                KnownSteps.Append(table, 41, 4),
                new InsertRequest { End = new EndTrajectory { Trajectory = 41, Priority = 2, StepPriorities = { 1, 2, 3, 4 } } },
                KnownSteps.Append(table, 42, 2),
                new InsertRequest { Abandon = new AbandonTrajectory { Trajectory = 42 } },
            ]));
            calls.Add((ReplayMethods.Sample.FullName, [sample]));
            calls.Add((ReplayMethods.SampleStream.FullName, [new SampleStreamRequest { Sample = sample, MaxBatches = 3, BatchesInFlight = 2 }]));
            calls.Add((ReplayMethods.UpdatePriorities.FullName, [new UpdatePrioritiesRequest { Table = table, Keys = { 1, 2, 3 }, Priorities = { 0.5, 2, 7 } }]));
            calls.Add((ReplayMethods.Delete.FullName, [new DeleteRequest { Table = table, Keys = { 2 } }]));
            calls.Add((ReplayMethods.OpenDataPlane.FullName, [new OpenDataPlaneRequest { Stream = new SampleStreamRequest { Sample = sample }, Transports = { "rdma", "tcp" } }]));
        }
        return [.. calls];
    }

    /// <summary>Every method the service descriptor declares, as call paths.</summary>
    private static string[] ReplayMethodNames() =>
        [.. ReplayReflection.Descriptor.Services.Single().Methods.Select(m => $"/{m.Service.FullName}/{m.Name}")];

    /// <summary>Each message behind a gRPC length prefix (uncompressed), one after the other.</summary>
    private static byte[] Frame(IReadOnlyList<byte[]> messages)
    {
        var output = new List<byte>();
        var header = new byte[LengthPrefixedMessage.HeaderSize];
        foreach (var message in messages)
        {
            LengthPrefixedMessage.WriteHeader(header, message.Length);
            output.AddRange(header);
            output.AddRange(message);
        }
        return [.. output];
    }
}
