namespace Gear.Core.Errors;

/// <summary>
/// The one exception type Gear.Core throws for a request it refuses. <see cref="Code"/> says what kind of
/// failure it is; the message names the field or value at fault. A refused request leaves the table unchanged.
/// </summary>
public sealed class GearException : Exception
{
    /// <summary>Creates an exception with a code and a message that names the problem.</summary>
    public GearException(GearErrorCode code, string message) : base(message) => Code = code;

    /// <summary>What kind of failure this is.</summary>
    public GearErrorCode Code { get; }

    internal static GearException InvalidArgument(string message) => new(GearErrorCode.InvalidArgument, message);
    internal static GearException NotFound(string message) => new(GearErrorCode.NotFound, message);
    internal static GearException FailedPrecondition(string message) => new(GearErrorCode.FailedPrecondition, message);
    internal static GearException ResourceExhausted(string message) => new(GearErrorCode.ResourceExhausted, message);
    internal static GearException DeadlineExceeded(string message) => new(GearErrorCode.DeadlineExceeded, message);
    internal static GearException Unavailable(string message) => new(GearErrorCode.Unavailable, message);
}
