using System.Numerics;
using Gear.Core.Errors;
using Gear.Core.RateLimiting;
using Gear.Core.Selection;

namespace Gear.Core.Schema;

/// <summary>
/// Everything that defines a table: its columns, capacities, item granularity, selectors, rate limiter and
/// sampling limits. <see cref="Validate"/> checks it as a whole and derives the storage layout; a
/// <see cref="Tables.Table"/> is only ever built from a validated spec.
/// </summary>
public sealed class TableSpec
{
    /// <summary>Longest table name.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Largest page, in steps.</summary>
    public const int MaxPageSteps = 1 << 16;

    /// <summary>Steps per page when a spec does not say.</summary>
    public const int DefaultPageSteps = 32;

    /// <summary>Most item slots a table may have (slots are 32-bit indices shared with the selectors).</summary>
    public const long MaxItemSlots = 1L << 30;

    /// <summary>The table's name: letters, digits, '_', '-', '.'.</summary>
    public required string Name { get; init; }

    /// <summary>The columns, in wire order.</summary>
    public required IReadOnlyList<ColumnSpec> Columns { get; init; }

    /// <summary>Bytes of one step over every column (of a valid spec). Summed by index: the commit path reads it.</summary>
    public long StepBytes
    {
        get
        {
            long bytes = 0;
            for (var c = 0; c < Columns.Count; c++)
                bytes += Columns[c].StepBytes;
            return bytes;
        }
    }

    /// <summary>Bytes of host memory for page pools (all columns together), allocated once at creation.</summary>
    public required long HostCapacityBytes { get; init; }

    /// <summary>Bytes of device memory for the hot tier. The CPU backend keeps everything in host memory.</summary>
    public long DeviceCapacityBytes { get; init; }

    /// <summary>Most trajectories (open and closed) held at once.</summary>
    public required int MaxTrajectories { get; init; }

    /// <summary>Steps per page; a power of two so that a step's page and offset are a shift and a mask.</summary>
    public int PageSteps { get; init; } = DefaultPageSteps;

    /// <summary>Whether items are whole trajectories or single steps.</summary>
    public ItemGranularity Granularity { get; init; } = ItemGranularity.Trajectory;

    /// <summary>How samples choose items.</summary>
    public SelectorKind Sampler { get; init; } = SelectorKind.Uniform;

    /// <summary>How items are chosen for eviction when the table needs room.</summary>
    public SelectorKind Remover { get; init; } = SelectorKind.Fifo;

    /// <summary>α: the prioritized selector samples item i with probability p_i^α / Σ p^α.</summary>
    public double PriorityExponent { get; init; } = 1.0;

    /// <summary>An item is retired after this many samples; 0 means never.</summary>
    public int MaxTimesSampled { get; init; }

    /// <summary>The rate limiter between inserts and samples. Default: sample once one item exists.</summary>
    public RateLimiterSpec RateLimiter { get; init; } = RateLimiterSpec.MinSize(1);

    /// <summary>Seed of the generator that feeds random removers (explicit so that eviction is reproducible).</summary>
    public ulong RemoverSeed { get; init; }

    /// <summary>
    /// Checks the whole spec and derives the storage layout.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument with a message that names the field at fault.</exception>
    public TableLayout Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > MaxNameLength || !Name.All(IsNameChar))
            throw GearException.InvalidArgument(
                $"table name '{Name}' is invalid: use 1 to {MaxNameLength} letters, digits, '_', '-' or '.'");
        if (Columns is null || Columns.Count == 0)
            throw GearException.InvalidArgument($"table '{Name}': columns must not be empty");

        var names = new HashSet<string>(StringComparer.Ordinal);
        long stepBytes = 0;
        foreach (var column in Columns)
        {
            if (column is null)
                throw GearException.InvalidArgument($"table '{Name}': columns must not contain null");
            if (!names.Add(column.Name))
                throw GearException.InvalidArgument($"table '{Name}': duplicate column name '{column.Name}'");
            stepBytes += column.StepBytes;
        }

        if (PageSteps < 1 || PageSteps > MaxPageSteps || !BitOperations.IsPow2(PageSteps))
            throw GearException.InvalidArgument(
                $"table '{Name}': page_steps {PageSteps} must be a power of two between 1 and {MaxPageSteps}");
        if (MaxTrajectories < 1)
            throw GearException.InvalidArgument($"table '{Name}': max_trajectories {MaxTrajectories} must be at least 1");
        if (DeviceCapacityBytes < 0)
            throw GearException.InvalidArgument($"table '{Name}': device_capacity_bytes {DeviceCapacityBytes} must not be negative");
        if (MaxTimesSampled < 0)
            throw GearException.InvalidArgument($"table '{Name}': max_times_sampled {MaxTimesSampled} must not be negative (0 means unlimited)");
        if (!double.IsFinite(PriorityExponent) || PriorityExponent < 0)
            throw GearException.InvalidArgument($"table '{Name}': priority_exponent {PriorityExponent} must be finite and not negative");
        if (!Enum.IsDefined(Granularity))
            throw GearException.InvalidArgument($"table '{Name}': unknown item granularity {(int)Granularity}");
        if (!Enum.IsDefined(Sampler))
            throw GearException.InvalidArgument($"table '{Name}': unknown sampler {(int)Sampler}");
        if (!Enum.IsDefined(Remover))
            throw GearException.InvalidArgument($"table '{Name}': unknown remover {(int)Remover}");
        if (RateLimiter is null)
            throw GearException.InvalidArgument($"table '{Name}': rate_limiter must be given");
        RateLimiter.Validate();

        foreach (var column in Columns)
        {
            if ((long)column.StepBytes * PageSteps > int.MaxValue)
                throw GearException.InvalidArgument(
                    $"table '{Name}': a page of column '{column.Name}' ({PageSteps} steps of {column.StepBytes} bytes) exceeds {int.MaxValue} bytes; use fewer page_steps");
        }

        var pageBytes = stepBytes * PageSteps;
        if (HostCapacityBytes < pageBytes)
            throw GearException.InvalidArgument(
                $"table '{Name}': host_capacity_bytes {HostCapacityBytes} cannot hold one page of {pageBytes} bytes " +
                $"({PageSteps} steps of {stepBytes} bytes)");
        var pageCount = HostCapacityBytes / pageBytes;
        var itemSlots = Granularity == ItemGranularity.Trajectory ? MaxTrajectories : pageCount * PageSteps;
        if (pageCount > int.MaxValue || itemSlots > MaxItemSlots)
            throw GearException.InvalidArgument(
                $"table '{Name}': host_capacity_bytes {HostCapacityBytes} makes {itemSlots} item slots; at most {MaxItemSlots} are supported");

        return new TableLayout(stepBytes, (int)pageCount, (int)itemSlots);
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';
}

/// <summary>What a validated <see cref="TableSpec"/> implies for storage.</summary>
/// <param name="StepBytes">Bytes of one step over all columns.</param>
/// <param name="PageCount">Pages in each column's pool (page ids are shared by all columns).</param>
/// <param name="ItemSlots">Item slots: max trajectories, or every step of every page for step items.</param>
public readonly record struct TableLayout(long StepBytes, int PageCount, int ItemSlots);
