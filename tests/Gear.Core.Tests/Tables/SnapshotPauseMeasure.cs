using System.Diagnostics;
using Gear.Core.Compute.Cpu;
using Gear.Core.Schema;
using Gear.Core.Tables;

namespace Gear.Core.Tests.Tables;

/// <summary>
/// How long a snapshot of 1 GiB of step data holds the table lock (run by hand: remove the Ignore and run
/// with --filter FullyQualifiedName~SnapshotPauseMeasure --logger "console;verbosity=detailed").
/// </summary>
[TestClass]
public sealed class SnapshotPauseMeasure
{
    [TestMethod]
    [Ignore("a measurement (about 30 s and 2 GiB of memory), run by hand")]
    public void MeasureSnapshotPause()
    {
        const int stepBytes = 4096, length = 256, trajectories = 1024; // 1 GiB of steps
        using var backend = new CpuBackend();
        using var table = new Table(new TableSpec
        {
            Name = "big", Columns = [new ColumnSpec("obs", DType.U8, stepBytes)], PageSteps = 32,
            HostCapacityBytes = (long)stepBytes * length * trajectories, MaxTrajectories = trajectories,
        }, backend);
        var data = new byte[stepBytes * length];
        new Random(1).NextBytes(data);
        for (var i = 0; i < trajectories; i++)
        {
            var key = table.OpenTrajectory();
            table.Append(key, length, [data]);
            table.Close(key, 1.0);
        }
        var path = Path.Combine(Path.GetTempPath(), "gear-pause.snap");
        foreach (var round in new[] { 1, 2 })
        {
            using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                var pause = Table.WriteSnapshots([table], [file]);
                var sw = Stopwatch.StartNew();
                file.Flush(true);
                Console.WriteLine($"round {round}: pause {pause.TotalMilliseconds:0} ms for {file.Length / 1048576.0:0} MiB; fsync {sw.ElapsedMilliseconds} ms");
            }
            var memory = new MemoryStream();
            var p2 = Table.WriteSnapshots([table], [memory]);
            Console.WriteLine($"round {round}: pause into memory {p2.TotalMilliseconds:0} ms");
            memory.Dispose();
            var rsw = Stopwatch.StartNew();
            using (var file = File.OpenRead(path))
            using (var restored = Table.ReadSnapshot(file, backend))
                Console.WriteLine($"round {round}: restore {rsw.ElapsedMilliseconds} ms, items {restored.GetInfo().ItemCount}");
        }
        File.Delete(path);
    }
}
