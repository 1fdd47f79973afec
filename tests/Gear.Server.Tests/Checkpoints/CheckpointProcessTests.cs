using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Checkpoints;
using Gear.Server.Cli;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Checkpoints;

/// <summary>
/// <c>gear serve</c> as a process with checkpoints configured: insert, checkpoint by RPC, SIGTERM, restart on
/// the same directory, and the data is back byte for byte; then the offline commands read the directory.
/// </summary>
[TestClass]
public sealed class CheckpointProcessTests
{
    [TestMethod]
    public async Task DataSurvivesCheckpointAndRestart()
    {
        var root = Path.Combine(Path.GetTempPath(), "gear-ckpt-e2e-" + Guid.NewGuid().ToString("N"));
        var directory = Path.Combine(root, "checkpoints");
        Directory.CreateDirectory(root);
        var config = Path.Combine(root, "gear.json");
        await File.WriteAllTextAsync(config, """{ "checkpoints": { "directory": "checkpoints", "keep": 4 } }""");
        try
        {
            string name;
            Dictionary<ulong, ulong> keys;
            SampleResponse before;
            string rpcPath;
            using (var gear = await GearProcess.StartReadyAsync("--config", config))
            {
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                var client = new ReplayClient(channel);
                name = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
                keys = await client.InsertAsync(name, Enumerable.Range(1, 8).Select(i => (ulong)i), 6);
                rpcPath = (await client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest())).Path;
                StringAssert.StartsWith(rpcPath, Path.Combine(directory, CheckpointStore.Prefix));
                before = await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 32, WindowLength = 4, Seed = 3 });

                // The CLI asks the running server for one too and prints where it went.
                using (var cli = GearProcess.Start(["checkpoint", "create", "--server", gear.GrpcAddress.ToString()]))
                {
                    Assert.AreEqual(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)), cli.Stderr);
                    StringAssert.StartsWith(cli.Stdout.Trim(), Path.Combine(directory, CheckpointStore.Prefix));
                    Assert.AreNotEqual(rpcPath, cli.Stdout.Trim());
                }

                gear.Terminate();
                Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), gear.Stderr);
                StringAssert.Contains(gear.Stdout, "checkpoint " + directory, "a checkpoint at shutdown too");
            }
            Assert.AreEqual(3, CheckpointStore.List(directory).Count, "the RPC's, the CLI's and the shutdown's");

            using (var gear = await GearProcess.StartReadyAsync("--config", config))
            {
                StringAssert.Contains(gear.Stdout, "restored checkpoint");
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                var client = new ReplayClient(channel);
                var info = await client.InfoAsync(name);
                Assert.AreEqual(8, info.ItemCount);
                Assert.AreEqual(48, info.StoredSteps);
                var after = await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = name, BatchSize = 32, WindowLength = 4, Seed = 3 });
                CollectionAssert.AreEqual(before.Keys.ToArray(), after.Keys.ToArray(), "the same keys, sampled alike");
                CollectionAssert.AreEqual(before.StartSteps.ToArray(), after.StartSteps.ToArray());
                for (var c = 0; c < before.Columns.Count; c++)
                    CollectionAssert.AreEqual(before.Columns[c].ToByteArray(), after.Columns[c].ToByteArray(), $"column {c} byte-equal");
                for (var i = 0; i < after.Keys.Count; i++)
                {
                    var trajectory = keys[after.Keys[i]];
                    CollectionAssert.AreEqual(KnownSteps.Obs(trajectory, after.StartSteps[i], 4), after.Columns[0].Span.Slice(i * 48, 48).ToArray());
                }
                gear.Terminate();
                Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), gear.Stderr);
            }

            // Offline: list and verify succeed; a flipped byte makes verify exit 1 and name the file.
            var output = new StringWriter();
            Assert.AreEqual(0, CheckpointCommand.List(directory, output, TextWriter.Null), output.ToString());
            StringAssert.Contains(output.ToString(), "4 checkpoints");
            Assert.AreEqual(0, CheckpointCommand.Verify(directory, null, output, TextWriter.Null), output.ToString());
            Assert.AreEqual(0, CheckpointCommand.Inspect(directory, Path.GetFileName(rpcPath), output, TextWriter.Null), output.ToString());
            StringAssert.Contains(output.ToString(), "8 items");
            var file = Path.Combine(rpcPath, "table-0.snap");
            var bytes = await File.ReadAllBytesAsync(file);
            bytes[^100] ^= 0x40;
            await File.WriteAllBytesAsync(file, bytes);
            output = new StringWriter();
            Assert.AreEqual(CheckpointCommand.Problem, CheckpointCommand.Verify(directory, null, output, TextWriter.Null));
            StringAssert.Contains(output.ToString(), file);
            StringAssert.Contains(output.ToString(), "3 of 4 checkpoints valid");
            Assert.AreEqual(CheckpointCommand.Problem, CheckpointCommand.Verify(Path.Combine(root, "missing"), null, TextWriter.Null, TextWriter.Null));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task CheckpointCreateAgainstNoServerExitsOne()
    {
        using var cli = GearProcess.Start(["checkpoint", "create", "--server", "http://127.0.0.1:1", "--timeout", "5"]);
        Assert.AreEqual(CheckpointCommand.Problem, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)), cli.Stdout);
        StringAssert.Contains(cli.Stderr, "Unavailable");
    }
}
