namespace Gear.Server.WriteAheadLog;

/// <summary>What a log record says happened to its table.</summary>
public enum LogRecordKind : byte
{
    /// <summary>A trajectory was committed: its steps and priorities.</summary>
    Commit = 1,

    /// <summary>Items were deleted by key.</summary>
    Delete = 2,

    /// <summary>The table was reset.</summary>
    Reset = 3,
}
