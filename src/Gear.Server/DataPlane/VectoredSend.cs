using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gear.Server.DataPlane;

/// <summary>
/// One non-blocking <c>sendmsg</c> of many buffers in native memory (Linux). .NET's own gathered sends take
/// managed arrays only, and the data plane's buffers are storage pages: this hands the kernel their addresses
/// directly, so a batch reaches the socket with no copy of ours.
/// </summary>
internal static unsafe partial class VectoredSend
{
    /// <summary>Buffers one call takes at most (the kernel's IOV_MAX).</summary>
    public const int MaxBuffers = 1024;

    private const int DontWait = 0x40; // MSG_DONTWAIT: the socket may be blocking or not; never block here
    private const int NoSignal = 0x4000; // MSG_NOSIGNAL: a closed peer is an EPIPE error, not a SIGPIPE
    private const int WouldBlock = 11; // EAGAIN
    private const int Interrupted = 4; // EINTR

    /// <summary>Whether this platform has the call (64-bit Linux, whose msghdr layout <see cref="MessageHeader"/> is).</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>Sends what the socket takes now of <paramref name="count"/> buffers; returns the bytes sent, 0 when it takes nothing now.</summary>
    /// <exception cref="IOException">The connection failed (reset, closed by the peer).</exception>
    public static long Send(SafeSocketHandle socket, IoVector* buffers, int count)
    {
        var header = new MessageHeader { Buffers = buffers, BufferCount = (nuint)count };
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            while (true)
            {
                var sent = SendMessage(socket.DangerousGetHandle(), &header, DontWait | NoSignal);
                if (sent >= 0)
                    return sent;
                var error = Marshal.GetLastPInvokeError();
                if (error == WouldBlock)
                    return 0;
                if (error != Interrupted)
                    throw new IOException($"sendmsg failed: {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
        finally
        {
            if (added)
                socket.DangerousRelease();
        }
    }

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public nint Base;
        public nuint Length;
    }

    /// <summary>struct msghdr of 64-bit Linux (no address, no control data).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public nint Name;
        public int NameLength;
        public IoVector* Buffers;
        public nuint BufferCount;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(nint socket, MessageHeader* message, int flags);
}
