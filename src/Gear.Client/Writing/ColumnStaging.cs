using System.Buffers;

namespace Gear.Client;

/// <summary>
/// The bytes of one column of one open trajectory: committed steps not yet sent, then appended steps not yet
/// committed. The buffer comes from the shared pool; a message takes it over when it is cut and returns it
/// once written, so steady-state appends copy into pooled memory and allocate nothing.
/// </summary>
internal sealed class ColumnStaging
{
    private byte[] _buffer;

    public ColumnStaging(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, capacity));

    /// <summary>Bytes of committed steps not yet sent.</summary>
    public int CommittedBytes { get; private set; }

    /// <summary>Bytes appended since the last commit.</summary>
    public int StagedBytes { get; private set; }

    /// <summary>Steps appended since the last commit.</summary>
    public int StagedSteps { get; private set; }

    /// <summary>Appends <paramref name="steps"/> steps of bytes, uncommitted.</summary>
    public void Stage(ReadOnlySpan<byte> bytes, int steps)
    {
        var end = CommittedBytes + StagedBytes;
        if (_buffer.Length - end < bytes.Length)
            Grow(end + bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(end));
        StagedBytes += bytes.Length;
        StagedSteps += steps;
    }

    /// <summary>Makes the staged steps committed.</summary>
    public void Commit()
    {
        CommittedBytes += StagedBytes;
        StagedBytes = 0;
        StagedSteps = 0;
    }

    /// <summary>
    /// Hands the committed bytes over to a message: returns the buffer holding them (the caller returns it to
    /// the pool once the message is written) and continues in a fresh buffer, carrying staged bytes over.
    /// </summary>
    public byte[] TakeCommitted(int nextCapacity, out int length)
    {
        var taken = _buffer;
        length = CommittedBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(1, nextCapacity), StagedBytes));
        taken.AsSpan(length, StagedBytes).CopyTo(_buffer);
        CommittedBytes = 0;
        return taken;
    }

    /// <summary>Returns the buffer to the pool; the staging is unusable afterwards. Returns the bytes it held.</summary>
    public int Release()
    {
        var held = CommittedBytes + StagedBytes;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        CommittedBytes = StagedBytes = StagedSteps = 0;
        return held;
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, CommittedBytes + StagedBytes).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
