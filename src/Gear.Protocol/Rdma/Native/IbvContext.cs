using System.Runtime.InteropServices;

namespace Gear.Protocol.Rdma.Native;

/// <summary>
/// The leading fields of <c>struct ibv_context</c>: the device and the ops table. Only these are read; the
/// rest of the C struct (file descriptors, a mutex) is never touched from C#, so it is not declared and this
/// struct is never allocated for a real device (the loopback device allocates <see cref="Size"/> bytes).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvContext
{
    /// <summary>Bytes of the declared fields: what the loopback device allocates for a context.</summary>
    public static int Size => Marshal.SizeOf<IbvContext>();

    /// <summary><c>struct ibv_device *device</c>.</summary>
    public nint Device;

    /// <summary><c>struct ibv_context_ops ops</c>: where the static-inline data-path verbs jump.</summary>
    public IbvContextOps Ops;
}
