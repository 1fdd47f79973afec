using System.Runtime.InteropServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// Page-aligned native memory registered with a device: a learner's receive ring (remote-writable) or a
/// server's staging slots (local only). Allocated once per session, zeroed.
/// </summary>
public sealed unsafe class RdmaMemory : IDisposable
{
    private const int PageBytes = 4096;

    private readonly IVerbs _verbs;
    private IbvMr* _mr;
    private byte* _bytes;

    /// <summary>Allocates <paramref name="length"/> bytes and registers them with <paramref name="device"/>.</summary>
    public RdmaMemory(RdmaDevice device, long length, bool remoteWritable)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _verbs = device.Verbs;
        Length = length;
        _bytes = (byte*)NativeMemory.AlignedAlloc((nuint)length, PageBytes);
        NativeMemory.Clear(_bytes, (nuint)length);
        try
        {
            var access = IbvAccessFlags.LocalWrite | (remoteWritable ? IbvAccessFlags.RemoteWrite : 0);
            _mr = _verbs.RegMr(device.ProtectionDomain, _bytes, (nuint)length, access);
        }
        catch
        {
            NativeMemory.AlignedFree(_bytes);
            throw;
        }
    }

    /// <summary>Start of the memory.</summary>
    public byte* Pointer => _bytes;

    /// <summary>Bytes.</summary>
    public long Length { get; }

    /// <summary>The key this side's work requests name the memory with.</summary>
    public uint LocalKey => _mr->Lkey;

    /// <summary>The key a peer presents to write into the memory.</summary>
    public uint RemoteKey => _mr->Rkey;

    /// <summary><paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public Span<byte> Slice(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{length} bytes at {offset} of a {Length}-byte region");
        return new Span<byte>(_bytes + offset, length);
    }

    /// <summary>Deregisters and frees the memory.</summary>
    public void Dispose()
    {
        if (_bytes == null)
            return;
        _verbs.DeregMr(_mr);
        NativeMemory.AlignedFree(_bytes);
        _mr = null;
        _bytes = null;
    }
}
