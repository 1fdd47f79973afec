using System.Buffers;
using System.IO.Pipelines;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Protocol.Tests.Grpc;

/// <summary>
/// A reader whose messages borrow the pipe's bytes leaves them in the pipe until the next read. The pipe's pool
/// here poisons every block given back, so bytes a message still refers to change if the reader let them go.
/// </summary>
[TestClass]
public sealed class PipeMessageReaderBorrowTests
{
    private const int PayloadBytes = 1000;

    [TestMethod]
    public async Task ABorrowedMessagesBytesStayUntilTheNextRead()
    {
        var (reader, _) = await ReaderOfTwoMessagesAsync(messagesBorrowBytes: true);

        Borrowed first = (await reader.ReadAsync(default))!;
        CollectionAssert.AreEqual(Payload(1), first.Bytes.ToArray(), "intact while borrowed");
        Borrowed second = (await reader.ReadAsync(default))!;

        CollectionAssert.AreEqual(Payload(2), second.Bytes.ToArray());
        Assert.AreEqual(PoisoningPool.Poison, first.FirstBlock.Span[0], "the next read gave the first message's blocks back");
        Assert.IsNull(await reader.ReadAsync(default), "the stream ends cleanly after a borrowed message");
    }

    [TestMethod]
    public async Task AReaderThatDoesNotLendGivesTheBytesBackAtOnce()
    {
        // The control: without borrowing the pool has the blocks back (poisoned) as soon as the message is read,
        // which is what makes the test above able to fail.
        var (reader, pool) = await ReaderOfTwoMessagesAsync(messagesBorrowBytes: false);

        Borrowed first = (await reader.ReadAsync(default))!;

        Assert.IsTrue(pool.Returned > 0);
        Assert.AreEqual(PoisoningPool.Poison, first.FirstBlock.Span[0]);
    }

    private static async Task<(PipeMessageReader<Borrowed> Reader, PoisoningPool Pool)> ReaderOfTwoMessagesAsync(bool messagesBorrowBytes)
    {
        var pool = new PoisoningPool();
        var pipe = new Pipe(new PipeOptions(pool, minimumSegmentSize: PoisoningPool.BlockSize));
        var frames = new ArrayBufferWriter<byte>();
        foreach (byte fill in new byte[] { 1, 2 })
        {
            frames.Write(new byte[] { 0, 0, 0, PayloadBytes >> 8, PayloadBytes & 0xFF });
            frames.Write(Payload(fill));
        }
        await pipe.Writer.WriteAsync(frames.WrittenMemory);
        await pipe.Writer.CompleteAsync();
        var reader = new PipeMessageReader<Borrowed>(
            pipe.Reader, (in ReadOnlySequence<byte> payload) => new Borrowed(payload, payload.First), int.MaxValue, "request", messagesBorrowBytes);
        return (reader, pool);
    }

    private static byte[] Payload(byte fill) => Enumerable.Repeat(fill, PayloadBytes).ToArray();

    /// <summary>A message that is its payload; the first block stays readable after the pipe gives it back.</summary>
    private sealed record Borrowed(ReadOnlySequence<byte> Bytes, ReadOnlyMemory<byte> FirstBlock);

    /// <summary>Blocks of 128 bytes, each filled with <see cref="Poison"/> when given back.</summary>
    private sealed class PoisoningPool : MemoryPool<byte>
    {
        public const int BlockSize = 128;
        public const byte Poison = 0xDD;

        public int Returned { get; private set; }

        public override int MaxBufferSize => BlockSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => new Block(this);

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(PoisoningPool pool) : IMemoryOwner<byte>
        {
            private readonly byte[] _bytes = new byte[BlockSize];

            public Memory<byte> Memory => _bytes;

            public void Dispose()
            {
                _bytes.AsSpan().Fill(Poison);
                pool.Returned++;
            }
        }
    }
}
