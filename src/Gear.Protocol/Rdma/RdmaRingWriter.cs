using System.Runtime.CompilerServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// The server's side of a learner's ring: frames are composed in local staging slots and RDMA-written
/// (with immediate data: sequence and slot) into the next remote slot. The learner returns credits as
/// zero-length sends with the count as immediate value. A frame is written only on a credit, so a slot is
/// never overwritten before the learner has given it back; a learner that returns more credits than it has
/// slots breaks the protocol and ends the session. While waiting idle, a zero-length write probes that the
/// learner is still there, so that a vanished learner ends the session (IBV_WC_RETRY_EXC_ERR) instead of
/// holding it.
/// </summary>
public sealed class RdmaRingWriter
{
    private const ulong ProbeRequest = ulong.MaxValue;

    private readonly RdmaQueuePair _qp;
    private readonly RdmaMemory _staging;
    private readonly RdmaRing _ring;
    private readonly TimeSpan _probeInterval;
    private readonly bool[] _writing;
    private readonly IbvWc[] _completions = new IbvWc[16];
    private ulong _granted;
    private ulong _written;
    private bool _probing;
    private PollBackoff _backoff;

    /// <summary>
    /// Writes into <paramref name="ring"/> over <paramref name="qp"/> (connected, or at least initialized: the
    /// receives for credits are posted here) from <paramref name="staging"/>, which holds one slot per ring slot.
    /// </summary>
    public RdmaRingWriter(RdmaQueuePair qp, RdmaMemory staging, RdmaRing ring, TimeSpan probeInterval)
    {
        if (staging.Length < (long)ring.SlotBytes * ring.SlotCount)
            throw new ArgumentException($"staging of {staging.Length} bytes for {ring.SlotCount} slots of {ring.SlotBytes}", nameof(staging));
        _qp = qp;
        _staging = staging;
        _ring = ring;
        _probeInterval = probeInterval;
        _writing = new bool[ring.SlotCount];
        for (var i = 0; i < ReceiveDepth(ring.SlotCount); i++)
            qp.PostReceive((ulong)i);
    }

    /// <summary>Receives the queue pair needs: one per slot's credit, and the initial grant.</summary>
    public static int ReceiveDepth(int slots) => slots + 1;

    /// <summary>Sends the queue pair needs: one write per slot, and a probe.</summary>
    public static int SendDepth(int slots) => slots + 1;

    /// <summary>Frames written so far (the next frame's sequence number).</summary>
    public ulong Written => _written;

    /// <summary>Credits in hand: frames that may be written now.</summary>
    public int Credits => (int)(_granted - _written);

    /// <summary>The staging slot of the next frame (compose it here, then <see cref="Write"/>).</summary>
    public Span<byte> NextSlot => _staging.Slice(NextSlotIndex * (long)_ring.SlotBytes, _ring.SlotBytes);

    private int NextSlotIndex => (int)(_written % (ulong)_ring.SlotCount);

    /// <summary>Waits until the next frame may be written: a credit in hand and its staging slot's previous write complete.</summary>
    /// <exception cref="RdmaCompletionException">A write or probe failed (the learner is gone), or the learner broke the credit protocol.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // once per batch: pooled, so a batch allocates nothing
    public async ValueTask WaitForCreditAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var progressed = Poll();
            if (Credits > 0 && !_writing[NextSlotIndex])
                break;
            if (progressed)
            {
                _backoff.Progressed();
                continue;
            }
            ProbeWhenIdle();
            await _backoff.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        _backoff.Progressed();
    }

    /// <summary>Writes the first <paramref name="length"/> bytes of <see cref="NextSlot"/> into the learner's next slot.</summary>
    public unsafe void Write(int length)
    {
        if (Credits <= 0 || _writing[NextSlotIndex])
            throw new InvalidOperationException("no credit: wait for one with WaitForCreditAsync");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _ring.SlotBytes);
        var slot = NextSlotIndex;
        _writing[slot] = true;
        var local = _staging.Pointer + (long)slot * _ring.SlotBytes;
        _qp.PostWrite((ulong)slot, _staging, local, length, _ring.SlotAddress(slot), _ring.RemoteKey, SlotImmediate.Encode(_written, slot), signaled: true);
        _written++;
    }

    /// <summary>Waits until every write has completed (the learner has the frames).</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Poll();
            if (Array.IndexOf(_writing, true) < 0)
                return;
            await _backoff.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes every completion waiting; returns whether there were any.</summary>
    private bool Poll()
    {
        // Sends first: when a write fails, the queue pair's error state also flushes the credit receives, and
        // the write's status is the cause worth reporting.
        var any = false;
        int count;
        while ((count = _qp.PollSends(_completions)) > 0)
        {
            any = true;
            for (var i = 0; i < count; i++)
                TakeSendCompletion(_completions[i]);
        }
        while ((count = _qp.PollReceives(_completions)) > 0)
        {
            any = true;
            for (var i = 0; i < count; i++)
                TakeCredit(_completions[i]);
        }
        return any;
    }

    private void TakeCredit(in IbvWc completion)
    {
        if (completion.Status != IbvWcStatus.Success)
            throw RdmaCompletionException.Failed("receive of a credit", completion.Status);
        var credits = SlotImmediate.FromWire(completion.ImmData);
        if (credits == 0 || _granted + credits > _written + (ulong)_ring.SlotCount)
            throw new RdmaCompletionException($"rdma: the learner returned {credits} credits with {Credits} in hand and {_ring.SlotCount} slots (credits for slots it does not hold)");
        _granted += credits;
        _qp.PostReceive(completion.WrId);
    }

    private void TakeSendCompletion(in IbvWc completion)
    {
        if (completion.WrId == ProbeRequest)
        {
            _probing = false;
            if (completion.Status != IbvWcStatus.Success)
                throw RdmaCompletionException.Failed("liveness probe of the learner", completion.Status);
            return;
        }
        if (completion.Status != IbvWcStatus.Success)
            throw RdmaCompletionException.Failed($"RDMA write into slot {completion.WrId}", completion.Status);
        _writing[(int)completion.WrId] = false;
    }

    private unsafe void ProbeWhenIdle()
    {
        if (_probing || !_backoff.IdleFor(_probeInterval))
            return;
        _probing = true;
        _qp.PostWrite(ProbeRequest, null, null, 0, _ring.Address, _ring.RemoteKey, immediate: null, signaled: true);
    }
}
