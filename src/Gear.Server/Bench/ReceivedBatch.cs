using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Gear.Server.Bench;

/// <summary>
/// A SampleStream reply as a learner that trains from the received bytes holds it: the pooled array the reply
/// was read into (the columns stay there, as Gear.Client's batches keep them), its shape and its keys, read with
/// protobuf's own CodedInputStream, which skips over the column bytes without copying them. One per learner and
/// reused: taking the next reply gives the previous one's array back to the pool.
/// </summary>
internal sealed class ReceivedBatch : IDisposable
{
    private static readonly FieldCodec<ulong> KeysCodec = FieldCodec.ForUInt64((5 << 3) | 2); // SampleResponse.keys, packed

    private byte[]? _buffer;

    /// <summary>batch_size of the last reply.</summary>
    public int BatchSize { get; private set; }

    /// <summary>window_length of the last reply.</summary>
    public int WindowLength { get; private set; }

    /// <summary>Columns in the last reply.</summary>
    public int ColumnCount { get; private set; }

    /// <summary>The last reply's item keys.</summary>
    public RepeatedField<ulong> Keys { get; } = [];

    /// <summary>
    /// Takes the reply read into <paramref name="buffer"/> (an <see cref="Gear.Protocol.Grpc.OwningMessageDecoder{T}"/>);
    /// on failure the buffer stays the reader's.
    /// </summary>
    public ReceivedBatch Take(byte[] buffer, int length)
    {
        int batchSize = 0, windowLength = 0, columns = 0;
        Keys.Clear();
        try
        {
            var input = new CodedInputStream(buffer, 0, length);
            for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
            {
                switch (tag)
                {
                    case (1 << 3) | 0: batchSize = input.ReadInt32(); break;
                    case (2 << 3) | 0: windowLength = input.ReadInt32(); break;
                    case (3 << 3) | 2: columns++; input.SkipLastField(); break;
                    case (5 << 3) | 0 or (5 << 3) | 2: Keys.AddEntriesFrom(input, KeysCodec); break;
                    default: input.SkipLastField(); break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        (BatchSize, WindowLength, ColumnCount) = (batchSize, windowLength, columns);
        Dispose();
        _buffer = buffer;
        return this;
    }

    /// <summary>Gives the last reply's array back to the pool.</summary>
    public void Dispose()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}
