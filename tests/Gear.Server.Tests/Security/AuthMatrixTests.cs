using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Security;
using Gear.Server.Tests.Service;

namespace Gear.Server.Tests.Security;

/// <summary>Every RPC × {no token, wrong token, actor, learner, admin} against a server with tokens configured.</summary>
[TestClass]
public sealed class AuthMatrixTests
{
    private static readonly Dictionary<string, Role> Tokens = new()
    {
        ["actor-token"] = Role.Actor,
        ["learner-token"] = Role.Learner,
        ["admin-token"] = Role.Admin,
    };

    private static ServiceHarness _server = null!;
    private static string _table = null!;

    [ClassInitialize]
    public static async Task StartServer(TestContext context)
    {
        _server = await ServiceHarness.StartAsync(Tokens);
        var admin = _server.Client("admin-token");
        _table = await admin.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await admin.InsertAsync(_table, [1, 2], 2);
    }

    [ClassCleanup]
    public static async Task StopServer() => await _server.DisposeAsync();

    [TestMethod]
    public async Task EveryMethodChecksTokenAndRole()
    {
        var failures = new List<string>();
        foreach (var method in AuthorizationTests.AllMethods)
        {
            foreach (var (token, role) in new (string?, Role?)[] { (null, null), ("wrong", null), ("actor-token", Role.Actor), ("learner-token", Role.Learner), ("admin-token", Role.Admin) })
            {
                var status = await CallAsync(method, _server.Client(token));
                var expected = role is null ? "refused as unauthenticated" : MethodRoles.Allows(role.Value, method) ? "allowed" : "refused as permission denied";
                var actual = status switch
                {
                    StatusCode.Unauthenticated => "refused as unauthenticated",
                    StatusCode.PermissionDenied => "refused as permission denied",
                    _ => "allowed",
                };
                if (expected != actual)
                    failures.Add($"{method} with {token ?? "no token"}: expected {expected}, got {status}");
            }
        }
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }

    /// <summary>Makes one call of <paramref name="method"/> with harmless arguments and returns its status.</summary>
    private static async Task<StatusCode> CallAsync(string method, ReplayClient client)
    {
        try
        {
            switch (method.Split('/')[^1])
            {
                case "CreateTable": await client.Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = KnownSteps.Spec(KnownSteps.NewName()) }); break;
                case "DropTable": await client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = "absent" }); break;
                case "ListTables": await client.Unary(ReplayMethods.ListTables, new ListTablesRequest()); break;
                case "GetServerInfo": await client.Unary(ReplayMethods.GetServerInfo, new GetServerInfoRequest()); break;
                case "InsertStream": await client.InsertAsync(_table, [7], 1); break;
                case "Sample": await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = _table, BatchSize = 1, WindowLength = 1 }); break;
                case "SampleStream":
                    using (var call = client.Channel.ServerStreaming(ReplayMethods.SampleStream,
                        new SampleStreamRequest { Sample = new SampleRequest { Table = _table, BatchSize = 1, WindowLength = 1 }, MaxBatches = 1 }, client.Options()))
                    {
                        while (await call.ResponseStream.MoveNext())
                        {
                        }
                    }
                    break;
                case "UpdatePriorities": await client.Unary(ReplayMethods.UpdatePriorities, new UpdatePrioritiesRequest { Table = _table, Keys = { 1 }, Priorities = { 1 } }); break;
                case "Delete": await client.Unary(ReplayMethods.Delete, new DeleteRequest { Table = _table, Keys = { 12345 } }); break;
                case "Reset": await client.Unary(ReplayMethods.Reset, new ResetRequest { Table = "absent" }); break;
                case "Checkpoint": await client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest()); break;
                case "OpenDataPlane": await client.Unary(ReplayMethods.OpenDataPlane, new OpenDataPlaneRequest()); break;
                default: Assert.Fail($"no call for {method}"); break;
            }
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
