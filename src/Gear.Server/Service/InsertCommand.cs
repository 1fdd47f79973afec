using System.Buffers;
using System.Runtime.InteropServices;
using Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>
/// One InsertStream request as the server decodes it (see <see cref="InsertRequestDecoder"/>): an append, its
/// column bytes left where they arrived, or any other request as its protobuf message. An append's columns are
/// slices of the request body's pipe (or of the parsed message's fields), valid only until the stream's next
/// request is read: apply it before reading on.
/// </summary>
internal sealed class InsertCommand
{
    private readonly List<ReadOnlySequence<byte>> _columns = [];

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
    public ReadOnlySpan<ReadOnlySequence<byte>> Columns => CollectionsMarshal.AsSpan(_columns);

    /// <summary>An append, its fields still to be filled.</summary>
    public static InsertCommand Append() => new(null);

    /// <summary>Any request but an append.</summary>
    public static InsertCommand For(InsertRequest request) => new(request);

    /// <summary>Adds the next column's bytes (not copied).</summary>
    public void AddColumn(ReadOnlySequence<byte> bytes) => _columns.Add(bytes);
}
