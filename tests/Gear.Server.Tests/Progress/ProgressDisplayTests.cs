using Gear.Core.Compute.Cpu;
using Gear.Server.Checkpoints;
using Gear.Server.Progress;
using Gear.Server.Service;
using Gear.Server.Tests.Grpc;
using Gear.Server.Tests.Service;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace Gear.Server.Tests.Progress;

/// <summary>Progress of long operations: bars on a terminal, periodic lines otherwise, silence for short ones.</summary>
[TestClass]
public sealed class ProgressDisplayTests
{
    [TestMethod]
    public void WithoutATerminalProgressIsLoggedPeriodically()
    {
        var logger = new TestLogger();
        var display = new ProgressDisplay(logger, terminal: null, quietPeriod: TimeSpan.Zero, lineInterval: TimeSpan.FromMilliseconds(10));
        using (var operation = display.Start("checkpoint", 4L << 20, ProgressUnit.Bytes))
        {
            operation.Add(1L << 20);
            WaitFor(() => logger.Entries.Any(e => e.Message.Contains("1.0 MiB of 4.0 MiB (25%)")));
            operation.Report(3L << 20);
            WaitFor(() => logger.Entries.Any(e => e.Message.Contains("3.0 MiB of 4.0 MiB (75%)")));
        }
        var lines = logger.Entries.Count;
        Thread.Sleep(50);
        Assert.AreEqual(lines, logger.Entries.Count, "nothing more once the operation ended");
        Assert.IsTrue(logger.Entries.All(e => e.Message.StartsWith("checkpoint: ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void AShortOperationShowsNothing()
    {
        var logger = new TestLogger();
        var display = new ProgressDisplay(logger, terminal: null, quietPeriod: TimeSpan.FromSeconds(10), lineInterval: TimeSpan.FromMilliseconds(10));
        using (var operation = display.Start("replay", 10, ProgressUnit.Records))
            operation.Report(10);
        Assert.AreEqual(0, logger.Entries.Count);
    }

    [TestMethod]
    public void OnATerminalABarIsDrawnToTheEnd()
    {
        var output = new StringWriter();
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        var display = new ProgressDisplay(NullLogger.Instance, terminal, quietPeriod: TimeSpan.Zero, lineInterval: TimeSpan.FromSeconds(1));
        using (var operation = display.Start("replay of table t's log", 200, ProgressUnit.Records))
        {
            operation.Report(50);
            Thread.Sleep(300);
            operation.Report(200);
        }
        var text = output.ToString();
        StringAssert.Contains(text, "replay of table t's log");
        StringAssert.Contains(text, "25%", "the bar moved through the middle");
        StringAssert.Contains(text, "100%", "and ended full");
    }

    [TestMethod]
    public async Task CheckpointSaveAndRestoreReportTheirBytes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "gear-progress-" + Guid.NewGuid().ToString("N"));
        var logger = new TestLogger();
        var display = new ProgressDisplay(logger, terminal: null, quietPeriod: TimeSpan.Zero, lineInterval: TimeSpan.FromMilliseconds(1));
        using var backend = new CpuBackend();
        try
        {
            var store = new CheckpointStore(directory, 1, NullLogger.Instance, display);
            using (var table = new Gear.Core.Tables.Table(TableSpecMapping.ToCore(KnownSteps.Spec("progress")), backend))
            {
                var key = table.OpenTrajectory();
                table.Append(key, 4, [KnownSteps.Obs(1, 0, 4), KnownSteps.Action(1, 0, 4)]);
                table.Close(key, 1.0);
                await store.WriteAsync([table]);
            }
            Assert.IsTrue(logger.Entries.Any(e => e.Message.StartsWith("checkpoint: ", StringComparison.Ordinal)), "the save was shown");
            var restored = store.RestoreNewest(backend);
            Assert.IsNotNull(restored);
            foreach (var table in restored.Tables)
                table.Dispose();
            Assert.IsTrue(logger.Entries.Any(e => e.Message.StartsWith("restore of ckpt-", StringComparison.Ordinal)), "the restore was shown");
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("the condition did not come true within 10 s");
            Thread.Sleep(5);
        }
    }
}
