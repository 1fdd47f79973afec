using System.Buffers;
using System.Runtime.InteropServices;
using Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>
/// One InsertStream request as the server decodes it (see <see cref="InsertRequestDecoder"/>): an append, its
/// column bytes in arrays rented from the shared pool, or any other request as its protobuf message. Dispose
/// it once applied: that gives the arrays back.
/// </summary>
internal sealed class InsertCommand : IDisposable
{
    // Every non-empty column is a prefix of an array rented here, so the columns alone say what to give back.
    private readonly List<ReadOnlyMemory<byte>> _columns = [];

    private InsertCommand(InsertRequest? other) => Other = other;

    /// <summary>The request when it is not an append (end, abandon, or no command at all); null for an append, whatever way it came.</summary>
    public InsertRequest? Other { get; }

    /// <summary>append.trajectory.</summary>
    public ulong Trajectory { get; set; }

    /// <summary>append.table (empty when not given).</summary>
    public string Table { get; set; } = "";

    /// <summary>append.step_count.</summary>
    public uint StepCount { get; set; }

    /// <summary>append.columns, in the order sent.</summary>
    public ReadOnlySpan<ReadOnlyMemory<byte>> Columns => CollectionsMarshal.AsSpan(_columns);

    /// <summary>An append, its fields still to be filled.</summary>
    public static InsertCommand Append() => new(null);

    /// <summary>Any request but an append.</summary>
    public static InsertCommand For(InsertRequest request) => new(request);

    /// <summary>Adds a column of <paramref name="length"/> bytes; the caller fills the returned span.</summary>
    public Span<byte> AddColumn(int length)
    {
        if (length == 0)
        {
            _columns.Add(ReadOnlyMemory<byte>.Empty);
            return [];
        }
        var array = ArrayPool<byte>.Shared.Rent(length);
        _columns.Add(array.AsMemory(0, length));
        return array.AsSpan(0, length);
    }

    public void Dispose()
    {
        foreach (var column in _columns)
        {
            if (MemoryMarshal.TryGetArray(column, out var rented) && rented.Array!.Length > 0)
                ArrayPool<byte>.Shared.Return(rented.Array);
        }
        _columns.Clear();
    }
}
