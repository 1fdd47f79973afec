using Gear.Protocol.Grpc;

namespace Gear.Protocol.Tests.Grpc;

[TestClass]
public sealed class StatusMessageEncodingTests
{
    [TestMethod]
    public void PrintableAsciiPassesThroughUnchanged()
    {
        const string detail = "table 'replay' not found: ~!@#$^&*()_+{}|:\"<>?";
        Assert.AreSame(detail, StatusMessageEncoding.Encode(detail));
    }

    [TestMethod]
    public void PercentControlsAndNonAsciiAreEncodedAsUtf8Bytes()
    {
        Assert.AreEqual("100%25", StatusMessageEncoding.Encode("100%"));
        Assert.AreEqual("a%0Ab%09c", StatusMessageEncoding.Encode("a\nb\tc"));
        Assert.AreEqual("%C3%BC", StatusMessageEncoding.Encode("ü"));
        Assert.AreEqual("%E8%A1%A8", StatusMessageEncoding.Encode("表"));
        Assert.AreEqual("%F0%9F%98%80", StatusMessageEncoding.Encode("😀"));
        Assert.AreEqual("%7F", StatusMessageEncoding.Encode("\u007F"));
    }

    [TestMethod]
    public void RoundTripsAnyText()
    {
        foreach (string text in new[] { "", "plain", "100% sure", "Größe 表 😀 \r\n\0 end", "%%%", "%41" })
        {
            Assert.AreEqual(text, StatusMessageEncoding.Decode(StatusMessageEncoding.Encode(text)), text);
        }
    }

    [TestMethod]
    public void DecodesLowerCaseHex()
    {
        Assert.AreEqual("ü", StatusMessageEncoding.Decode("%c3%bc"));
    }

    [TestMethod]
    public void BrokenEscapesAreKeptNotThrown()
    {
        Assert.AreEqual("50% done", StatusMessageEncoding.Decode("50% done"));
        Assert.AreEqual("bad %G1 and %", StatusMessageEncoding.Decode("bad %G1 and %"));
        Assert.AreEqual("end%4", StatusMessageEncoding.Decode("end%4"));
    }

    [TestMethod]
    public void InvalidUtf8BecomesReplacementCharacters()
    {
        Assert.AreEqual("a\uFFFDb", StatusMessageEncoding.Decode("a%FFb"));
    }
}
