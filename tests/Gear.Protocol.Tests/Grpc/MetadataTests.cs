using Gear.Protocol.Grpc;

namespace Gear.Protocol.Tests.Grpc;

[TestClass]
public sealed class MetadataTests
{
    [TestMethod]
    public void KeysAreLowerCasedAndLookupsIgnoreCase()
    {
        var metadata = new Metadata { { "X-Trace", "abc" } };

        Assert.AreEqual("x-trace", metadata.Single().Key);
        Assert.AreEqual("abc", metadata.GetValue("X-TRACE"));
        Assert.IsNull(metadata.GetValue("other"));
    }

    [TestMethod]
    public void BinaryValuesNeedABinKeyAndTextValuesMustNotHaveOne()
    {
        var metadata = new Metadata();
        Assert.ThrowsException<ArgumentException>(() => metadata.Add("data", new byte[] { 1 }));
        Assert.ThrowsException<ArgumentException>(() => metadata.Add("data-bin", "text"));
        Assert.ThrowsException<ArgumentException>(() => metadata.Add("bad key", "v"));
        Assert.ThrowsException<ArgumentException>(() => metadata.Add("grpc-status", "0"));
        Assert.ThrowsException<ArgumentException>(() => metadata.Add("k", "non-ascii ü"));

        metadata.Add("data-bin", new byte[] { 1, 2 });
        CollectionAssert.AreEqual(new byte[] { 1, 2 }, metadata.GetValueBytes("data-bin"));
        Assert.IsNull(metadata.GetValue("data-bin"), "binary entries are not text");
    }

    [TestMethod]
    public void BinaryWireValueIsUnpaddedBase64()
    {
        var metadata = new Metadata { { "k-bin", new byte[] { 0xFF, 0xEE } } };

        Assert.AreEqual("/+4", metadata.Single().WireValue);
    }

    [DataTestMethod]
    [DataRow("/+4")]
    [DataRow("/+4=")]
    public void WireValuesDecodeWithOrWithoutPadding(string wire)
    {
        var metadata = new Metadata();
        metadata.AddFromWire("k-bin", wire);

        CollectionAssert.AreEqual(new byte[] { 0xFF, 0xEE }, metadata.GetValueBytes("k-bin"));
    }

    [TestMethod]
    public void JoinedBinaryWireValuesAreSplitOnCommas()
    {
        var metadata = new Metadata();
        metadata.AddFromWire("k-bin", "AQ,AgM=");

        byte[][] values = metadata.GetAll("k-bin").Select(e => e.ValueBytes).ToArray();
        Assert.AreEqual(2, values.Length);
        CollectionAssert.AreEqual(new byte[] { 1 }, values[0]);
        CollectionAssert.AreEqual(new byte[] { 2, 3 }, values[1]);
    }

    [TestMethod]
    public void NonBase64BinaryWireValueIsAFormatError()
    {
        Assert.ThrowsException<FormatException>(() => new Metadata().AddFromWire("k-bin", "!!!"));
        Assert.ThrowsException<FormatException>(() => new Metadata().AddFromWire("k-bin", "A"));
    }
}
