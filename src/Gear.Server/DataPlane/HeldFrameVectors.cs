using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gear.Core.Sampling;
using Gear.Core.Tables;
using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>
/// The buffers of one held batch's frame in wire order, for <see cref="VectoredSend"/>: the prefix (header and
/// metadata), then each column's windows straight from the table's pages (padding from a block of zeros), then
/// the mask. It hands them out up to <see cref="VectoredSend.MaxBuffers"/> at a time, merging neighbours, and
/// takes back what the socket did not send. One per connection, reused: a batch allocates nothing here.
/// </summary>
internal sealed unsafe class HeldFrameVectors
{
    /// <summary>Bytes of the shared zero block; longer padding takes several buffers.</summary>
    private const int ZeroBytes = 64 << 10;

    /// <summary>Zeros for padding, allocated once for the process and never written.</summary>
    private static readonly nint Zeros = (nint)NativeMemory.AllocZeroed(ZeroBytes);

    private readonly VectoredSend.IoVector[] _vectors = GC.AllocateArray<VectoredSend.IoVector>(VectoredSend.MaxBuffers, pinned: true);
    private readonly int[] _stepBytes;
    private Table? _table;
    private WindowBatch? _batch;
    private nint _prefix;
    private int _prefixBytes;
    private int _count;
    private Stage _stage;
    private int _column;
    private HeldColumnWalk _walk;
    private long _zerosLeft;

    /// <param name="stepBytes">Bytes of one step of each column of the table, in table order.</param>
    public HeldFrameVectors(int[] stepBytes) => _stepBytes = stepBytes;

    private enum Stage
    {
        Prefix,
        Columns,
        Mask,
        Done,
    }

    /// <summary>The pending buffers (see <see cref="Fill"/>).</summary>
    public VectoredSend.IoVector* Pending => (VectoredSend.IoVector*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_vectors));

    /// <summary>Starts the frame of <paramref name="held"/>, whose prefix is <paramref name="prefixBytes"/> bytes at <paramref name="prefix"/>.</summary>
    public void Start(Table table, WindowBatch held, byte* prefix, int prefixBytes)
    {
        _table = table;
        _batch = held;
        _prefix = (nint)prefix;
        _prefixBytes = prefixBytes;
        _count = 0;
        _stage = Stage.Prefix;
        _zerosLeft = 0;
    }

    /// <summary>Tops the pending buffers up from the rest of the frame; returns how many are pending (0: all sent).</summary>
    public int Fill()
    {
        while (_count < _vectors.Length && Next(out var address, out var bytes))
        {
            ref var last = ref _vectors[Math.Max(_count - 1, 0)];
            if (_count > 0 && last.Base + (nint)last.Length == address)
            {
                last.Length += (nuint)bytes;
                continue;
            }
            _vectors[_count++] = new VectoredSend.IoVector { Base = address, Length = (nuint)bytes };
        }
        return _count;
    }

    /// <summary>Drops the first <paramref name="sent"/> bytes of the pending buffers.</summary>
    public void Consumed(long sent)
    {
        var done = 0;
        while (sent > 0)
        {
            ref var vector = ref _vectors[done];
            if ((ulong)sent < vector.Length)
            {
                vector.Base += (nint)sent;
                vector.Length -= (nuint)sent;
                break;
            }
            sent -= (long)vector.Length;
            done++;
        }
        _vectors.AsSpan(done, _count - done).CopyTo(_vectors);
        _count -= done;
    }

    /// <summary>The next piece of the frame, in wire order; false after the mask.</summary>
    private bool Next(out nint address, out long bytes)
    {
        var batch = _batch!;
        while (true)
        {
            if (_zerosLeft > 0)
            {
                bytes = Math.Min(_zerosLeft, ZeroBytes);
                _zerosLeft -= bytes;
                address = Zeros;
                return true;
            }
            switch (_stage)
            {
                case Stage.Prefix:
                    (_stage, _column) = (Stage.Columns, 0);
                    _walk = new HeldColumnWalk(_table!, batch, 0, _stepBytes[0]);
                    (address, bytes) = (_prefix, _prefixBytes);
                    return true;
                case Stage.Columns when _walk.Next(out address, out bytes):
                    if (address != 0)
                        return true;
                    _zerosLeft = bytes; // padding
                    continue;
                case Stage.Columns when _column + 1 < _stepBytes.Length:
                    _column++;
                    _walk = new HeldColumnWalk(_table!, batch, _column, _stepBytes[_column]);
                    continue;
                case Stage.Columns:
                    _stage = Stage.Mask;
                    continue;
                case Stage.Mask:
                    _stage = Stage.Done;
                    (address, bytes) = ((nint)batch.MaskPointer, (long)batch.Count * batch.WindowLength);
                    return true;
                default:
                    (address, bytes) = (0, 0);
                    return false;
            }
        }
    }
}
