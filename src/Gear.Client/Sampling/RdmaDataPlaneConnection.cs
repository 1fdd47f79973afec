using System.Buffers;
using Gear.Protocol.DataPlane;
using Gear.Protocol.Rdma;
using WireRing = Gear.Protocol.V1.RdmaRing;

namespace Gear.Client;

/// <summary>
/// One data-plane session over RDMA: a ring of slots registered on the learner's device, one per batch in
/// flight and each large enough for the stream's largest frame, which the server writes frames into. A frame
/// is copied out of its slot into a pooled buffer (the batch owns that) and the slot goes back to the server
/// at once, so a learner holding batches never stalls the ring. Prepared before OpenDataPlane (the request
/// carries the ring and the queue pair), connected after it.
/// </summary>
internal sealed class RdmaDataPlaneConnection : IDataPlaneConnection
{
    /// <summary>Slot sizes are rounded up to this, so that every slot starts cache-line aligned.</summary>
    private const int SlotAlignment = 64;

    private readonly RdmaDevice _device;
    private readonly RdmaQueuePair _qp;
    private readonly RdmaMemory _slots;
    private readonly RdmaRingReader _reader;
    private readonly BatchFrameHeader _header;
    private ulong _session;

    private RdmaDataPlaneConnection(RdmaDevice device, int columns, int slotBytes, int slotCount, TimeSpan probeInterval)
    {
        _device = device;
        _header = new BatchFrameHeader(columns);
        _qp = new RdmaQueuePair(device, RdmaRingReader.SendDepth(slotCount), RdmaRingReader.ReceiveDepth(slotCount));
        try
        {
            _qp.Initialize();
            _slots = new RdmaMemory(device, (long)slotBytes * slotCount, remoteWritable: true);
            _reader = new RdmaRingReader(_qp, _slots, slotBytes, slotCount, probeInterval);
        }
        catch
        {
            _slots?.Dispose();
            _qp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A ring for <paramref name="options"/>' stream on the first usable device of <paramref name="verbs"/>
    /// (null: libibverbs), or null and why not.
    /// </summary>
    public static RdmaDataPlaneConnection? TryPrepare(IVerbs? verbs, TableLayout layout, SampleOptions options, TimeSpan probeInterval, out string reason)
    {
        var largest = BatchFrameHeader.FrameBytes(layout.Columns.Count, options.BatchSize, options.WindowLength, layout.StepBytes);
        var slotBytes = (largest + SlotAlignment - 1) / SlotAlignment * SlotAlignment;
        if (slotBytes > int.MaxValue)
        {
            reason = $"a frame of {largest} bytes is larger than an rdma slot may be";
            return null;
        }
        var device = RdmaDevice.TryOpenAny(verbs, out reason);
        if (device is null)
            return null;
        try
        {
            return new RdmaDataPlaneConnection(device, layout.Columns.Count, (int)slotBytes, options.BatchesInFlight, probeInterval);
        }
        catch (VerbsException e)
        {
            device.Dispose();
            reason = e.Message;
            return null;
        }
    }

    /// <summary>The ring and queue pair, as OpenDataPlane carries them.</summary>
    public WireRing Offer
    {
        get
        {
            var ring = _reader.Ring;
            return new WireRing
            {
                Address = ring.Address,
                Rkey = ring.RemoteKey,
                SlotBytes = (uint)ring.SlotBytes,
                SlotCount = (uint)ring.SlotCount,
                QueuePair = _qp.Local.ToWire(),
            };
        }
    }

    /// <summary>Connects to the server's queue pair of <paramref name="grant"/> and grants it every slot.</summary>
    /// <exception cref="IOException">The grant's queue pair is malformed, or the device refused the connection.</exception>
    public void Connect(Gear.Protocol.V1.OpenDataPlaneResponse grant)
    {
        var server = grant.RdmaQueuePair ?? throw new DataPlaneFrameException("an rdma grant without the server's queue pair");
        var address = RdmaPeerAddress.FromWire(server, out var problem)
            ?? throw new DataPlaneFrameException($"an rdma grant with a malformed queue pair: {problem}");
        try
        {
            _qp.Connect(address);
            _reader.Start();
        }
        catch (VerbsException e)
        {
            throw new IOException($"rdma: {e.Message}", e);
        }
        _session = grant.Session;
    }

    /// <inheritdoc/>
    public async ValueTask<(BatchFrameHeader Header, byte[] Payload)?> ReadAsync(SampleBatchAssembler assembler, int maxWindows, int windowLength, CancellationToken cancellationToken)
    {
        var length = await _reader.NextAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Take(assembler, maxWindows, windowLength, length);
        }
        finally
        {
            try
            {
                _reader.Release();
            }
            catch (VerbsException e)
            {
                // The device refused the credit: the session is broken; reconnect as for any broken connection.
                throw new IOException($"rdma: {e.Message}", e);
            }
        }
    }

    private (BatchFrameHeader Header, byte[] Payload)? Take(SampleBatchAssembler assembler, int maxWindows, int windowLength, int length)
    {
        var frame = _reader.Current;
        if (length < BatchFrameHeader.PrefixBytes)
            throw new DataPlaneFrameException($"an rdma frame of {length} bytes");
        var headerBytes = BatchFrameHeader.ReadSize(frame, _header.ColumnBytes.Length);
        if (length < headerBytes)
            throw new DataPlaneFrameException($"an rdma frame of {length} bytes with a header of {headerBytes}");
        _header.Read(frame);
        DataPlaneFrameRules.CheckSession(_header, _session);
        var body = frame[headerBytes..];
        if (_header.Kind == FrameKind.End)
        {
            if (_header.MetadataBytes > Math.Min(body.Length, DataPlaneFrameRules.MaxEndMessageBytes))
                throw new DataPlaneFrameException($"an end frame with a message of {_header.MetadataBytes} bytes");
            DataPlaneFrameRules.End(_header, body[.._header.MetadataBytes]);
            return null;
        }
        DataPlaneFrameRules.CheckBatch(assembler, _header, maxWindows, windowLength);
        var bytes = (int)_header.PayloadBytes;
        if (bytes > body.Length)
            throw new DataPlaneFrameException($"a frame of {bytes} payload bytes in {body.Length}");
        var payload = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes));
        body[..bytes].CopyTo(payload);
        return (_header, payload);
    }

    /// <summary>Destroys the queue pair, frees the ring and closes the device.</summary>
    public void Dispose()
    {
        _qp.Dispose();
        _slots.Dispose();
        _device.Dispose();
    }
}
