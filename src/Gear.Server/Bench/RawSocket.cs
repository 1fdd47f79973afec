using System.Net.Sockets;

namespace Gear.Server.Bench;

/// <summary>What both ends of the raw socket reference share: the mode bytes and the socket settings.</summary>
internal static class RawSocket
{
    /// <summary>Mode byte the client sends first: the peer reads and discards everything (the client sends).</summary>
    public const byte PeerReads = (byte)'r';

    /// <summary>Mode byte the client sends first: the peer writes without end (the client receives).</summary>
    public const byte PeerWrites = (byte)'w';

    /// <summary>Bytes per send or receive call: large, so per-call costs vanish as they do for multi-MB batches.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Kernel socket buffers of 4 MiB (the VM's wmem_max and rmem_max); the kernel doubles them.</summary>
    public const int SocketBufferBytes = 4 << 20;

    /// <summary>A TCP socket with large buffers and no Nagle delay.</summary>
    public static Socket Create()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            SendBufferSize = SocketBufferBytes,
            ReceiveBufferSize = SocketBufferBytes,
        };
        return socket;
    }
}
