using System.Runtime.CompilerServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// The learner's side of a ring: registered slots the server writes frames into, one receive posted per slot
/// (a write with immediate data consumes one and says which slot it filled), and credits sent back as
/// zero-length sends once a frame has been read out of its slot. Frames must arrive in sequence, each in the
/// slot its sequence number names; anything else is a protocol error. While waiting idle, a zero-length write
/// probes that the server is still there, so that a vanished server is an error (IBV_WC_RETRY_EXC_ERR)
/// rather than a wait without end.
/// </summary>
public sealed class RdmaRingReader
{
    private const ulong CreditRequest = 0;
    private const ulong ProbeRequest = 1;

    private readonly RdmaQueuePair _qp;
    private readonly RdmaMemory _slots;
    private readonly int _slotBytes;
    private readonly int _slotCount;
    private readonly TimeSpan _probeInterval;
    private readonly IbvWc[] _completions = new IbvWc[16];
    private ulong _sequence;
    private int _current = -1;
    private int _currentLength;
    private bool _probing;
    private RdmaCompletionException? _sendFailure;
    private PollBackoff _backoff;

    /// <summary>A ring of <paramref name="slotCount"/> slots of <paramref name="slotBytes"/> in <paramref name="slots"/> (remote-writable); posts a receive per slot.</summary>
    public RdmaRingReader(RdmaQueuePair qp, RdmaMemory slots, int slotBytes, int slotCount, TimeSpan probeInterval)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotCount, RdmaRing.MaxSlots);
        if (slots.Length < (long)slotBytes * slotCount)
            throw new ArgumentException($"a region of {slots.Length} bytes for {slotCount} slots of {slotBytes}", nameof(slots));
        _qp = qp;
        _slots = slots;
        _slotBytes = slotBytes;
        _slotCount = slotCount;
        _probeInterval = probeInterval;
        for (var i = 0; i < slotCount; i++)
            qp.PostReceive((ulong)i);
    }

    /// <summary>Receives the queue pair needs: one per slot.</summary>
    public static int ReceiveDepth(int slots) => slots;

    /// <summary>Sends the queue pair needs: a credit per slot, the initial grant and a probe.</summary>
    public static int SendDepth(int slots) => slots + 2;

    /// <summary>The ring as the server is told it.</summary>
    public unsafe RdmaRing Ring => new((ulong)_slots.Pointer, _slots.RemoteKey, _slotBytes, _slotCount);

    /// <summary>Frames read so far (the next frame's sequence number).</summary>
    public ulong Sequence => _sequence;

    /// <summary>Grants the server every slot; call once the queue pair is connected.</summary>
    public void Start() => _qp.PostSendImmediate(CreditRequest, SlotImmediate.ToWire((uint)_slotCount), signaled: true);

    /// <summary>Waits for the next frame (then see <see cref="Current"/>, valid until <see cref="Release"/>); returns its length.</summary>
    /// <exception cref="RdmaCompletionException">A receive, credit or probe failed (the server is gone), or a frame arrived out of order.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // once per batch: pooled, so a batch allocates nothing
    public async ValueTask<int> NextAsync(CancellationToken cancellationToken)
    {
        while (!TryTakeFrame())
        {
            ProbeWhenIdle();
            await _backoff.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        _backoff.Progressed();
        return _currentLength;
    }

    /// <summary>The frame taken by the last <see cref="TryTakeFrame"/> (valid until <see cref="Release"/>).</summary>
    public ReadOnlySpan<byte> Current => _current < 0 ? default : _slots.Slice((long)_current * _slotBytes, _currentLength);

    /// <summary>Takes the next frame if one has landed (then see <see cref="Current"/>); the allocation-free form of <see cref="NextAsync"/>.</summary>
    public bool TryTakeFrame()
    {
        if (_current >= 0)
            throw new InvalidOperationException("the previous frame is still held: Release it first");
        ReapSends();
        // Frames that landed are delivered before a failed credit or probe is reported: the server may end the
        // session (and destroy its queue pair) while credits for frames still unread here are on their way.
        if (_qp.PollReceives(_completions.AsSpan(0, 1)) == 0)
            return _sendFailure is null ? false : throw _sendFailure;
        var completion = _completions[0];
        if (completion.Status != IbvWcStatus.Success)
            throw _sendFailure ?? RdmaCompletionException.Failed($"receive of frame {_sequence}", completion.Status);
        if (completion.Opcode != IbvWcOpcode.ReceiveRdmaWithImm || (completion.WcFlags & IbvWcFlags.WithImm) == 0)
            throw new RdmaCompletionException($"rdma: frame {_sequence}: a completion of opcode {completion.Opcode} where a write with immediate data was expected");
        var (sequence, slot) = SlotImmediate.Decode(completion.ImmData);
        var expectedSlot = (int)(_sequence % (ulong)_slotCount);
        if (sequence != (ushort)_sequence || slot != expectedSlot)
            throw new RdmaCompletionException($"rdma: frame {sequence} (mod 2^16) in slot {slot} where frame {(ushort)_sequence} in slot {expectedSlot} was expected");
        if (completion.ByteLen > _slotBytes)
            throw new RdmaCompletionException($"rdma: a frame of {completion.ByteLen} bytes in slots of {_slotBytes}");
        _current = slot;
        _currentLength = (int)completion.ByteLen;
        return true;
    }

    /// <summary>Gives the current frame's slot back to the server (one credit).</summary>
    public void Release()
    {
        if (_current < 0)
            throw new InvalidOperationException("no frame is held");
        // The receive goes back before the credit, so the server's next write into this slot finds one posted.
        _qp.PostReceive((ulong)_current);
        _qp.PostSendImmediate(CreditRequest, SlotImmediate.ToWire(1), signaled: true);
        _current = -1;
        _sequence++;
    }

    private void ReapSends()
    {
        int count;
        while ((count = _qp.PollSends(_completions)) > 0)
        {
            for (var i = 0; i < count; i++)
            {
                var completion = _completions[i];
                if (completion.WrId == ProbeRequest)
                    _probing = false;
                if (completion.Status != IbvWcStatus.Success)
                    _sendFailure ??= RdmaCompletionException.Failed(completion.WrId == ProbeRequest ? "liveness probe of the server" : "credit to the server", completion.Status);
            }
        }
    }

    private unsafe void ProbeWhenIdle()
    {
        if (_probing || _sendFailure is not null || !_backoff.IdleFor(_probeInterval))
            return;
        _probing = true;
        _qp.PostWrite(ProbeRequest, null, null, 0, 0, 0, immediate: null, signaled: true);
    }
}
