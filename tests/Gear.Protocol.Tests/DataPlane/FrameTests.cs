using Gear.Protocol.DataPlane;

namespace Gear.Protocol.Tests.DataPlane;

[TestClass]
public sealed class FrameTests
{
    private static BatchFrameHeader Sample()
    {
        var header = new BatchFrameHeader(3)
        {
            Session = 0x1122334455667788, Sequence = 42, Windows = 256, WindowLength = 8, ItemCount = 1000,
            SelectionMass = 12.5, MetadataBytes = 256 * BatchFrameHeader.MetadataBytesPerWindow, MaskBytes = 2048,
        };
        header.ColumnBytes[0] = 2048 * 4;
        header.ColumnBytes[1] = 2048;
        header.ColumnBytes[2] = 2048 * 84;
        return header;
    }

    [TestMethod]
    public void BatchHeaderRoundTrips()
    {
        var header = Sample();
        var bytes = new byte[header.Size];
        header.Write(bytes);
        Assert.AreEqual(BatchFrameHeader.SizeFor(3), BatchFrameHeader.ReadSize(bytes, 3));
        var read = new BatchFrameHeader(3);
        read.Read(bytes);
        Assert.AreEqual(FrameKind.Batch, read.Kind);
        Assert.AreEqual(header.Session, read.Session);
        Assert.AreEqual(42ul, read.Sequence);
        Assert.AreEqual(256, read.Windows);
        Assert.AreEqual(8, read.WindowLength);
        Assert.AreEqual(1000, read.ItemCount);
        Assert.AreEqual(12.5, read.SelectionMass);
        Assert.AreEqual(header.MetadataBytes, read.MetadataBytes);
        CollectionAssert.AreEqual(header.ColumnBytes, read.ColumnBytes);
        Assert.AreEqual(2048, read.MaskBytes);
        Assert.AreEqual(header.PayloadBytes, read.PayloadBytes);
    }

    [TestMethod]
    public void ChecksumCatchesEveryFlippedBit()
    {
        var header = Sample();
        var bytes = new byte[header.Size];
        header.Write(bytes);
        // Every bit the checksum covers, plus the checksum itself.
        for (var bit = 0; bit < (bytes.Length - 4) * 8; bit++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.ThrowsException<DataPlaneFrameException>(() => new BatchFrameHeader(3).Read(flipped), $"bit {bit}");
        }
    }

    [TestMethod]
    public void OversizeOrMismatchedHeadersAreRejected()
    {
        var bytes = new byte[BatchFrameHeader.PrefixBytes];
        var header = new byte[Sample().Size];
        Sample().Write(header);
        header.AsSpan(0, 16).CopyTo(bytes);
        // A column count past the limit, and a size that does not match the count.
        BitConverter.TryWriteBytes(bytes.AsSpan(12), BatchFrameHeader.MaxColumns + 1);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), (uint)BatchFrameHeader.SizeFor(BatchFrameHeader.MaxColumns + 1));
        Assert.ThrowsException<DataPlaneFrameException>(() => BatchFrameHeader.ReadSize(bytes, 3));
        header.AsSpan(0, 16).CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), uint.MaxValue);
        Assert.ThrowsException<DataPlaneFrameException>(() => BatchFrameHeader.ReadSize(bytes, 3));
        header.AsSpan(0, 16).CopyTo(bytes);
        Assert.ThrowsException<DataPlaneFrameException>(() => BatchFrameHeader.ReadSize(bytes, 4), "the table has another column count");
        Assert.ThrowsException<DataPlaneFrameException>(() => BatchFrameHeader.ReadSize("GET / HTTP/1.1\r\n"u8, 3), "not a frame");
    }

    [TestMethod]
    public void LearnerFramesRoundTripAndCatchCorruption()
    {
        var token = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var hello = new byte[LearnerFrames.HelloBytes];
        LearnerFrames.WriteHello(hello, token, 7);
        var read = new byte[16];
        Assert.AreEqual(7u, LearnerFrames.ReadHello(hello, read));
        CollectionAssert.AreEqual(token, read);
        hello[10] ^= 1;
        Assert.ThrowsException<DataPlaneFrameException>(() => LearnerFrames.ReadHello(hello, read));

        var credit = new byte[LearnerFrames.CreditBytes];
        LearnerFrames.WriteCredit(credit, 3);
        Assert.AreEqual(3u, LearnerFrames.ReadCredit(credit));
        Assert.ThrowsException<DataPlaneFrameException>(() => LearnerFrames.ReadHello(credit.Concat(new byte[16]).ToArray(), read), "a credit is not a hello");
        credit[8] ^= 0x80;
        Assert.ThrowsException<DataPlaneFrameException>(() => LearnerFrames.ReadCredit(credit));
    }
}
