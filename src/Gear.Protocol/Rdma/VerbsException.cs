namespace Gear.Protocol.Rdma;

/// <summary>A verbs call failed; the message names the call and the errno.</summary>
public sealed class VerbsException(string call, int errno, string detail)
    : Exception($"{call} failed: {detail} (errno {errno})")
{
    /// <summary>The verbs function that failed, for example <c>ibv_modify_qp</c>.</summary>
    public string Call { get; } = call;

    /// <summary>The errno it reported (0 when it reported none).</summary>
    public int Errno { get; } = errno;

    /// <summary>An exception for <paramref name="call"/> failing with <paramref name="errno"/>, described by the C library.</summary>
    public static VerbsException FromErrno(string call, int errno) =>
        new(call, errno, errno == 0 ? "no reason given" : System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno));
}
