using Gear.Tests.Shared;

namespace Gear.Server.Tests.Interop;

/// <summary>
/// python3-grpcio as actor and learner against the built <c>gear serve</c> (a separate process): tables,
/// inserts of known bytes, samples, streams, priorities, ten-plus kinds of bad request, deadlines,
/// cancellation, and the roles of bearer tokens.
/// </summary>
[TestClass]
public sealed class PythonInteropTests
{
    private static GearProcess? _gear;

    [ClassInitialize]
    public static async Task StartServer(TestContext context)
    {
        _gear = await GearProcess.StartReadyAsync();
    }

    [ClassCleanup]
    public static void StopServer() => _gear?.Dispose();

    [TestMethod]
    [DataRow("tables")]
    [DataRow("insert_and_sample_bytes")]
    [DataRow("sample_stream")]
    [DataRow("priorities_move_distribution")]
    [DataRow("bad_requests")]
    [DataRow("deadline")]
    [DataRow("cancellation")]
    public void Scenario(string scenario)
    {
        PythonPeer.RequireInstalled();
        var (exitCode, output) = PythonPeer.RunScenario("--address", Address(_gear!), "--scenario", scenario);

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, $"PASS {scenario}");
    }

    [TestMethod]
    public void PythonActorSampleCommitsEveryEpisode()
    {
        PythonPeer.RequireInstalled();
        var (exitCode, output) = PythonPeer.RunActorSample("--address", Address(_gear!), "--table", "py-actor-smoke", "--episodes", "2", "--steps", "50");

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "3 actors committed 6 episodes of 50 steps; table 'py-actor-smoke' holds 6 items, 300 steps");
    }

    [TestMethod]
    public async Task RolesOfBearerTokens()
    {
        PythonPeer.RequireInstalled();
        using var gear = GearProcess.StartServe(
            ["--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0"],
            new Dictionary<string, string> { ["GEAR_TOKENS"] = "py-actor=actor,py-learner=learner,py-admin=admin" });
        await gear.WaitForLineAsync(line => line.Contains("ready: serving"), TimeSpan.FromSeconds(30));

        var (exitCode, output) = PythonPeer.RunScenario("--address", Address(gear), "--role-tokens", "actor=py-actor,learner=py-learner,admin=py-admin");

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "PASS auth");
    }

    private static string Address(GearProcess gear) => $"{gear.GrpcAddress.Host}:{gear.GrpcAddress.Port}";
}
