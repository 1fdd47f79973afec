using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Checkpoints;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;
using Google.Protobuf;

namespace Gear.Server.Tests.Checkpoints;

/// <summary>
/// Running out of room: <c>gear serve</c> runs with a file size limit, so a write past it fails part-way as on
/// a full disk (EFBIG here, ENOSPC there). A checkpoint that fails is reported, the previous one stays valid
/// and is what a restart restores, nothing half-written is left, and the server keeps serving. A write-ahead
/// log that fails refuses (does not acknowledge) the commit it could not write and takes the next ones in a
/// new segment; a restart brings back exactly the acknowledged ones.
/// </summary>
[TestClass]
public sealed class CheckpointDiskFullProcessTests
{
    private const int StepBytes = 4096;
    private const int Steps = 8;
    private const int LimitKiB = 2048;

    [TestMethod]
    [Timeout(120_000)]
    public async Task AFailedCheckpointLeavesThePreviousOneAndServingGoesOn()
    {
        var root = Directory.CreateTempSubdirectory("gear-full-").FullName;
        var directory = Path.Combine(root, "checkpoints");
        var config = Path.Combine(root, "gear.json");
        var spec = FramesSpec();
        await File.WriteAllTextAsync(config, $$"""
            { "checkpoints": { "directory": "checkpoints", "keep": 3 }, "tables": [ {{JsonFormatter.Default.Format(spec)}} ] }
            """);
        try
        {
            string first;
            using (var gear = await GearProcess.StartReadyAsync(["--config", config], fileSizeLimitKiB: LimitKiB))
            {
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                var client = new ReplayClient(channel);
                await InsertFramesAsync(client, 16); // 512 KiB: fits under the limit
                first = (await client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest())).Path;

                await InsertFramesAsync(client, 96); // 3.5 MiB in all: the next snapshot file cannot be written
                var error = await Assert.ThrowsExceptionAsync<RpcException>(() => client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest()));
                Assert.AreEqual(StatusCode.Internal, error.StatusCode, error.Status.Detail);
                StringAssert.Contains(error.Status.Detail, "checkpoint into " + directory + " failed");

                CollectionAssert.AreEqual(new[] { first }, CheckpointStore.List(directory).ToArray(), "only the first checkpoint is there");
                Assert.AreEqual(0, Directory.GetDirectories(directory, ".tmp-*").Length, "the interrupted write was cleaned up");
                Assert.AreEqual(1, CheckpointStore.Verify(first).Tables.Count, "and the first still verifies");

                await InsertFramesAsync(client, 1);
                Assert.AreEqual(113, (await client.InfoAsync("frames")).ItemCount, "inserts go on after the failure");
                var sample = await client.Unary(ReplayMethods.Sample, new SampleRequest { Table = "frames", BatchSize = 4, WindowLength = 1 });
                Assert.AreEqual(4, sample.BatchSize, "and so do samples");
                gear.Kill(); // no shutdown checkpoint: the restart must come from the first one
                await gear.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }

            using (var gear = await GearProcess.StartReadyAsync("--config", config))
            {
                StringAssert.Contains(gear.Stdout, "restored checkpoint " + first);
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                Assert.AreEqual(16, (await new ReplayClient(channel).InfoAsync("frames")).ItemCount);
                gear.Terminate();
                Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), gear.Stderr);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    [Timeout(120_000)]
    public async Task AFullLogRefusesTheCommitItCannotWriteAndTheNextOnesGoOn()
    {
        var root = Directory.CreateTempSubdirectory("gear-full-log-").FullName;
        var config = Path.Combine(root, "gear.json");
        var spec = FramesSpec();
        spec.WriteAheadLog = true;
        await File.WriteAllTextAsync(config, $$"""
            { "writeAheadLog": { "directory": "wal" }, "tables": [ {{JsonFormatter.Default.Format(spec)}} ] }
            """);
        try
        {
            var acknowledged = 0;
            RpcException? refused = null;
            using (var gear = await GearProcess.StartReadyAsync(["--config", config], fileSizeLimitKiB: LimitKiB))
            {
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                var client = new ReplayClient(channel);
                // One trajectory (32 KiB) per stream, until the segment reaches the limit and one is refused.
                for (var attempt = 0; attempt < 3 * LimitKiB / 32 && refused is null; attempt++)
                {
                    try
                    {
                        await InsertFramesAsync(client, 1);
                        acknowledged++;
                    }
                    catch (RpcException e)
                    {
                        refused = e;
                    }
                }
                Assert.IsNotNull(refused, "a commit met the limit");
                Assert.AreEqual(StatusCode.Internal, refused.StatusCode, refused.Status.Detail);
                StringAssert.Contains(refused.Status.Detail, "not made durable, so not acknowledged");
                for (var more = 0; more < 3; more++)
                {
                    await InsertFramesAsync(client, 1); // into a fresh segment
                    acknowledged++;
                }
                gear.Kill();
                await gear.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }

            using (var gear = await GearProcess.StartReadyAsync("--config", config))
            {
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                Assert.AreEqual(acknowledged, (await new ReplayClient(channel).InfoAsync("frames")).ItemCount,
                    "every acknowledged commit came back from the log, and the refused one did not");
                gear.Terminate();
                await gear.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static TableSpec FramesSpec() => new()
    {
        Name = "frames",
        Columns = { new ColumnSpec { Name = "frame", Dtype = DType.U8, Shape = { StepBytes } } },
        HostCapacityBytes = 16 << 20,
        MaxTrajectories = 1024,
        Sampler = Selector.Uniform,
    };

    /// <summary>Inserts <paramref name="count"/> trajectories of <see cref="Steps"/> frames of random bytes.</summary>
    private static async Task InsertFramesAsync(ReplayClient client, int count)
    {
        var random = new Random(count);
        using var call = client.Channel.DuplexStreaming(ReplayMethods.InsertStream, client.Options());
        for (var t = 0; t < count; t++)
        {
            var frames = new byte[Steps * StepBytes];
            random.NextBytes(frames);
            await call.RequestStream.WriteAsync(new InsertRequest
            {
                Append = new AppendSteps { Trajectory = (ulong)t + 1, Table = "frames", StepCount = Steps, Columns = { ByteString.CopyFrom(frames) } },
            });
            await call.RequestStream.WriteAsync(new InsertRequest { End = new EndTrajectory { Trajectory = (ulong)t + 1, Priority = 1 } });
        }
        await call.RequestStream.CompleteAsync();
        var acknowledged = 0;
        while (await call.ResponseStream.MoveNext())
            acknowledged++;
        Assert.AreEqual(count, acknowledged);
    }
}
