using Gear.Core.Storage;

namespace Gear.Core.Tests.Storage;

[TestClass]
public sealed unsafe class StreamingCopyTests
{
    [TestMethod]
    public void CopiesEveryByteAtAnyAlignmentAndLength()
    {
        var random = new Random(5);
        var source = new byte[40_000];
        random.NextBytes(source);
        using var destination = new NativeBuffer(40_100);
        foreach (var length in new[] { 0, 1, 100, 4095, 4096, 4097, 5000, 17_408, 39_000 })
        foreach (var (sourceOffset, destinationOffset) in new[] { (0, 0), (1, 0), (0, 3), (7, 31), (33, 64) })
        {
            if (sourceOffset + length > source.Length)
                continue;
            destination.Span.Fill(0xEE);
            fixed (byte* from = &source[sourceOffset])
                StreamingCopy.Copy(from, destination.Pointer + destinationOffset, (nuint)length);
            var copied = destination.Span.Slice(destinationOffset, length);
            Assert.IsTrue(copied.SequenceEqual(source.AsSpan(sourceOffset, length)), $"length {length}, offsets {sourceOffset}/{destinationOffset}");
            Assert.IsTrue(destination.Span[..destinationOffset].IndexOfAnyExcept((byte)0xEE) < 0, "wrote before the destination");
            Assert.IsTrue(destination.Span[(destinationOffset + length)..].IndexOfAnyExcept((byte)0xEE) < 0, "wrote past the destination");
        }
    }
}
