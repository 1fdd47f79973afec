using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Server.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.Checkpoints;

[TestClass]
public sealed class CheckpointStoreTests
{
    private string _directory = "";
    private CpuBackend _backend = null!;

    [TestInitialize]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "gear-ckpt-test-" + Guid.NewGuid().ToString("N"));
        _backend = new CpuBackend();
    }

    [TestCleanup]
    public void Cleanup()
    {
        _backend.Dispose();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [TestMethod]
    public async Task WriteThenRestoreGivesBackEveryTable()
    {
        using var a = NewTable("alpha");
        using var b = NewTable("beta");
        var key = Insert(a, 5, seed: 1);
        Insert(b, 3, seed: 2);
        var store = new CheckpointStore(_directory, 3, NullLogger.Instance);
        var result = await store.WriteAsync([a, b]);
        StringAssert.StartsWith(Path.GetFileName(result.Path), CheckpointStore.Prefix);
        var manifest = CheckpointStore.Verify(result.Path);
        CollectionAssert.AreEqual(new[] { "alpha", "beta" }, manifest.Tables.Select(t => t.Name).ToArray());

        var restored = store.RestoreNewest(_backend);
        Assert.IsNotNull(restored);
        try
        {
            Assert.AreEqual(result.Path, restored.Path);
            Assert.AreEqual(a.GetInfo(), restored.Tables.Single(t => t.Name == "alpha").GetInfo());
            Assert.AreEqual(b.GetInfo(), restored.Tables.Single(t => t.Name == "beta").GetInfo());
            Assert.AreEqual(new KeyedResult(1, 0), restored.Tables.Single(t => t.Name == "alpha").UpdatePriorities([key], [3.0]));
        }
        finally
        {
            foreach (var table in restored.Tables)
                table.Dispose();
        }
    }

    [TestMethod]
    public async Task RetentionKeepsTheNewestN()
    {
        using var a = NewTable("alpha");
        var store = new CheckpointStore(_directory, 2, NullLogger.Instance);
        var paths = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            Insert(a, 2, seed: i);
            paths.Add((await store.WriteAsync([a])).Path);
        }
        CollectionAssert.AreEqual(paths.Skip(2).ToArray(), CheckpointStore.List(_directory).ToArray());
    }

    [TestMethod]
    public async Task IncompleteWritesAreInvisibleAndCleanedUp()
    {
        using var a = NewTable("alpha");
        Insert(a, 2, seed: 1);
        // What a write killed half-way leaves behind: a temp directory with a partial file and no manifest.
        var leftover = Path.Combine(_directory, ".tmp-interrupted");
        Directory.CreateDirectory(leftover);
        await File.WriteAllBytesAsync(Path.Combine(leftover, "table-0.snap"), new byte[100]);
        Assert.AreEqual(0, CheckpointStore.List(_directory).Count, "a temp directory is not a checkpoint");
        var store = new CheckpointStore(_directory, 2, NullLogger.Instance);
        Assert.IsNull(store.RestoreNewest(_backend));

        var result = await store.WriteAsync([a]);
        Assert.AreEqual(1, CheckpointStore.List(_directory).Count);
        Assert.IsFalse(Directory.Exists(leftover), "leftovers of interrupted writes are removed");
        Assert.AreEqual(0, Directory.GetDirectories(_directory, ".tmp-*").Length, "the write's own temp directory was renamed");
        Assert.IsTrue(File.Exists(Path.Combine(result.Path, CheckpointManifest.FileName)));
    }

    [TestMethod]
    [DataRow("truncate")]
    [DataRow("flip")]
    [DataRow("manifest")]
    public async Task RestoreSkipsACorruptNewerCheckpointAndNamesTheFile(string damage)
    {
        using var a = NewTable("alpha");
        Insert(a, 4, seed: 1);
        var store = new CheckpointStore(_directory, 5, NullLogger.Instance);
        var good = await store.WriteAsync([a]);
        var expected = a.GetInfo();
        Insert(a, 4, seed: 2);
        var bad = await store.WriteAsync([a]);
        var file = Path.Combine(bad.Path, "table-0.snap");
        var bytes = await File.ReadAllBytesAsync(file);
        switch (damage)
        {
            case "truncate":
                await File.WriteAllBytesAsync(file, bytes[..(bytes.Length - 10)]);
                break;
            case "flip":
                bytes[bytes.Length / 2] ^= 1;
                await File.WriteAllBytesAsync(file, bytes);
                break;
            default:
                file = Path.Combine(bad.Path, CheckpointManifest.FileName);
                await File.WriteAllTextAsync(file, "{ not json");
                break;
        }
        var error = Assert.ThrowsException<InvalidDataException>(() => CheckpointStore.Verify(bad.Path));
        StringAssert.Contains(error.Message, file);

        var logger = new ListLogger();
        var restored = new CheckpointStore(_directory, 5, logger).RestoreNewest(_backend);
        Assert.IsNotNull(restored);
        try
        {
            Assert.AreEqual(good.Path, restored.Path);
            Assert.AreEqual(expected, restored.Tables.Single().GetInfo());
            Assert.IsTrue(logger.Lines.Any(l => l.Contains(bad.Path) && l.Contains(file)), string.Join('\n', logger.Lines));
        }
        finally
        {
            foreach (var table in restored.Tables)
                table.Dispose();
        }
    }

    private Table NewTable(string name) => new(new TableSpec
    {
        Name = name,
        Columns = [new ColumnSpec("obs", DType.F32, 4)],
        PageSteps = 4,
        HostCapacityBytes = 16 * 4 * 64,
        MaxTrajectories = 16,
        RateLimiter = RateLimiterSpec.MinSize(1),
    }, _backend);

    private static ulong Insert(Table table, int steps, int seed)
    {
        var data = new byte[steps * 16];
        new Random(seed).NextBytes(data);
        var key = table.OpenTrajectory();
        table.Append(key, steps, [data]);
        table.Close(key, 1.0);
        return key;
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
                Lines.Add(formatter(state, exception));
        }
    }
}
