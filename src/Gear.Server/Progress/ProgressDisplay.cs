using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Gear.Server.Progress;

/// <summary>
/// Shows how far long operations (checkpoint save and restore, log replay) have come: a progress bar on an
/// interactive terminal, a log line every few seconds otherwise (a service's journal, a container's log).
/// Nothing is shown for an operation that ends within <see cref="QuietPeriod"/>, so frequent small checkpoints
/// stay silent.
/// </summary>
public sealed class ProgressDisplay
{
    private readonly ILogger _logger;
    private readonly IAnsiConsole? _terminal;

    /// <summary>A display that draws bars on <paramref name="terminal"/> when given, else logs lines to <paramref name="logger"/>.</summary>
    public ProgressDisplay(ILogger logger, IAnsiConsole? terminal, TimeSpan quietPeriod, TimeSpan lineInterval)
    {
        _logger = logger;
        _terminal = terminal;
        QuietPeriod = quietPeriod;
        LineInterval = lineInterval;
    }

    /// <summary>Operations shorter than this show nothing.</summary>
    public TimeSpan QuietPeriod { get; }

    /// <summary>Time between log lines when there is no terminal.</summary>
    public TimeSpan LineInterval { get; }

    /// <summary>A display that shows nothing.</summary>
    public static ProgressDisplay None { get; } = new(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, TimeSpan.MaxValue, TimeSpan.MaxValue);

    /// <summary>
    /// The display for this process: bars when standard output is an interactive terminal, lines through
    /// <paramref name="logger"/> otherwise.
    /// </summary>
    public static ProgressDisplay ForConsole(ILogger logger)
    {
        var interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        return new ProgressDisplay(logger, interactive ? AnsiConsole.Console : null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    /// <summary>Starts showing an operation of <paramref name="total"/> units; dispose the result when it ends.</summary>
    public OperationProgress Start(string operation, long total, ProgressUnit unit) =>
        QuietPeriod == TimeSpan.MaxValue
            ? new OperationProgress(operation, total, unit)
            : new OperationProgress(operation, total, unit, this);

    internal void Run(OperationProgress operation, CancellationToken ended)
    {
        if (ended.WaitHandle.WaitOne(QuietPeriod))
            return;
        if (_terminal is not null)
            DrawBar(_terminal, operation, ended);
        else
            WriteLines(operation, ended);
    }

    private static void DrawBar(IAnsiConsole terminal, OperationProgress operation, CancellationToken ended)
    {
        terminal.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(operation.Operation), maxValue: Math.Max(1, operation.Total));
                while (!ended.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100)))
                    task.Value = operation.Done;
                task.Value = operation.Done;
                context.Refresh();
            });
    }

    private void WriteLines(OperationProgress operation, CancellationToken ended)
    {
        do
        {
            _logger.LogInformation("{Operation}: {Progress}", operation.Operation, operation.Describe());
        }
        while (!ended.WaitHandle.WaitOne(LineInterval));
    }
}
