using System.Buffers;
using Gear.Protocol.Grpc.Http2;

namespace Gear.Protocol.Tests.Grpc;

[TestClass]
public sealed class HpackTests
{
    // ---- Huffman table (RFC 7541 Appendix B) ----

    [TestMethod]
    public void HuffmanTableIsACompleteCanonicalCode()
    {
        uint[] codes = HuffmanDecoder.Codes.ToArray();
        byte[] lengths = HuffmanDecoder.Lengths.ToArray();
        Assert.AreEqual(257, codes.Length);
        Assert.AreEqual(257, lengths.Length);

        // Canonical: ordered by (length, symbol), each code is the previous one plus one, shifted left by the
        // growth in length. A single mistyped code or length breaks the chain.
        int[] order = Enumerable.Range(0, 257).OrderBy(s => lengths[s]).ThenBy(s => s).ToArray();
        Assert.AreEqual(0u, codes[order[0]]);
        for (int i = 1; i < order.Length; i++)
        {
            int previous = order[i - 1], symbol = order[i];
            uint expected = (codes[previous] + 1) << (lengths[symbol] - lengths[previous]);
            Assert.AreEqual(expected, codes[symbol], $"symbol {symbol}");
        }
        // Complete: the last code is all ones (EOS), so the Kraft sum is exactly one.
        Assert.AreEqual(HuffmanDecoder.Eos, order[^1]);
        Assert.AreEqual((1u << 30) - 1, codes[HuffmanDecoder.Eos]);
        double kraft = 0;
        for (int s = 0; s < 257; s++) kraft += Math.Pow(2, -lengths[s]);
        Assert.AreEqual(1.0, kraft, 1e-12);
    }

    [TestMethod]
    public void HuffmanDecodesEverySymbolButEos()
    {
        // Encode each byte with the table itself, padded with ones, and decode it back.
        for (int symbol = 0; symbol < 256; symbol++)
        {
            byte[] encoded = HuffmanEncode([(byte)symbol, (byte)'a', (byte)symbol]);
            var output = new byte[HuffmanDecoder.MaxDecodedLength(encoded.Length)];
            int written = HuffmanDecoder.Decode(encoded, output);
            CollectionAssert.AreEqual(new[] { (byte)symbol, (byte)'a', (byte)symbol }, output[..written], $"symbol {symbol}");
        }
    }

    [DataTestMethod]
    [DataRow("ffffffff", "EOS")]          // 30 ones is EOS itself
    [DataRow("ff", "longer than 7")]      // 8 bits of padding
    [DataRow("1fff", "longer than 7")]    // 'a' then 11 bits of padding
    [DataRow("18", "prefix of EOS")]      // 'a' (00011) then 000
    [DataRow("1e", "prefix of EOS")]      // 'a' then 110
    public void HuffmanRejectsBadStrings(string hex, string problem)
    {
        byte[] encoded = Convert.FromHexString(hex);
        var error = Assert.ThrowsException<HpackException>(() => HuffmanDecoder.Decode(encoded, new byte[16]));
        StringAssert.Contains(error.Message, problem);
    }

    // ---- Appendix C.1: integers ----

    [DataTestMethod]
    [DataRow(10, 5, "0a")]
    [DataRow(1337, 5, "1f9a0a")]
    [DataRow(42, 8, "2a")]
    public void IntegerVectorsOfAppendixC1(int value, int prefixBits, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.WriteInteger(output, value, prefixBits, 0);
        Assert.AreEqual(hex, Convert.ToHexStringLower(output.WrittenSpan));

        // The decoder ignores the bits above the prefix.
        byte[] block = Convert.FromHexString(hex);
        if (prefixBits < 8) block[0] |= (byte)(0xFF << prefixBits);
        int position = 0;
        Assert.AreEqual(value, HpackDecoder.ReadInteger(block, ref position, prefixBits));
        Assert.AreEqual(block.Length, position);
    }

    [DataTestMethod]
    [DataRow(0, 1), DataRow(30, 5), DataRow(31, 5), DataRow(127, 7), DataRow(128, 7), DataRow(255, 8)]
    [DataRow(16_383, 4), DataRow(1 << 21, 6), DataRow(int.MaxValue, 1), DataRow(int.MaxValue, 8)]
    public void IntegersRoundTrip(int value, int prefixBits)
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.WriteInteger(output, value, prefixBits, 0);
        int position = 0;
        Assert.AreEqual(value, HpackDecoder.ReadInteger(output.WrittenSpan, ref position, prefixBits));
        Assert.AreEqual(output.WrittenCount, position);
    }

    // ---- Appendix C.2: single fields ----

    [TestMethod]
    public void C21LiteralWithIndexing()
    {
        var decoder = new HpackDecoder();
        AssertHeaders(decoder, "400a637573746f6d2d6b65790d637573746f6d2d686561646572", ("custom-key", "custom-header"));
        AssertTable(decoder, 55, ("custom-key", "custom-header"));
    }

    [TestMethod]
    public void C22LiteralWithoutIndexing()
    {
        var decoder = new HpackDecoder();
        AssertHeaders(decoder, "040c2f73616d706c652f70617468", (":path", "/sample/path"));
        AssertTable(decoder, 0);
    }

    [TestMethod]
    public void C23LiteralNeverIndexed()
    {
        var decoder = new HpackDecoder();
        AssertHeaders(decoder, "100870617373776f726406736563726574", ("password", "secret"));
        AssertTable(decoder, 0);
    }

    [TestMethod]
    public void C24Indexed()
    {
        var decoder = new HpackDecoder();
        AssertHeaders(decoder, "82", (":method", "GET"));
        AssertTable(decoder, 0);
    }

    // ---- Appendix C.3 and C.4: requests, without and with Huffman ----

    [DataTestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void C3AndC4Requests(bool huffman)
    {
        string[] blocks = huffman
            ? ["828684418cf1e3c2e5f23a6ba0ab90f4ff",
               "828684be5886a8eb10649cbf",
               "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"]
            : ["828684410f7777772e6578616d706c652e636f6d",
               "828684be58086e6f2d6361636865",
               "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"];
        var decoder = new HpackDecoder();

        AssertHeaders(decoder, blocks[0],
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        AssertHeaders(decoder, blocks[1],
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"),
            ("cache-control", "no-cache"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        AssertHeaders(decoder, blocks[2],
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"),
            ("custom-key", "custom-value"));
        AssertTable(decoder, 164,
            ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    // ---- Appendix C.5 and C.6: responses with a 256-octet table and eviction ----

    [DataTestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void C5AndC6ResponsesWithEviction(bool huffman)
    {
        string[] blocks = huffman
            ? ["488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
               "4883640effc1c0bf",
               "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"]
            : ["4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
               "4803333037c1c0bf",
               "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31"];
        var decoder = new HpackDecoder(maxDynamicTableSize: 256);
        const string Date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
        const string Date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
        const string Location = "https://www.example.com";
        const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

        AssertHeaders(decoder, blocks[0],
            (":status", "302"), ("cache-control", "private"), ("date", Date1), ("location", Location));
        AssertTable(decoder, 222,
            ("location", Location), ("date", Date1), ("cache-control", "private"), (":status", "302"));

        AssertHeaders(decoder, blocks[1],
            (":status", "307"), ("cache-control", "private"), ("date", Date1), ("location", Location));
        AssertTable(decoder, 222,
            (":status", "307"), ("location", Location), ("date", Date1), ("cache-control", "private"));

        AssertHeaders(decoder, blocks[2],
            (":status", "200"), ("cache-control", "private"), ("date", Date2), ("location", Location),
            ("content-encoding", "gzip"), ("set-cookie", Cookie));
        AssertTable(decoder, 215, ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date2));
    }

    // ---- Dynamic table behaviour beyond the vectors ----

    [TestMethod]
    public void EntryLargerThanTheTableEmptiesIt()
    {
        var decoder = new HpackDecoder(maxDynamicTableSize: 100);
        AssertHeaders(decoder, "4001610162", ("a", "b")); // 34 octets
        AssertTable(decoder, 34, ("a", "b"));
        string big = new('x', 80);
        AssertHeaders(decoder, "40016146" + Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(big[..70])),
            ("a", big[..70]));
        AssertTable(decoder, 0);
    }

    [TestMethod]
    public void SizeUpdatesAtTheStartShrinkAndRestoreTheTable()
    {
        var decoder = new HpackDecoder();
        AssertHeaders(decoder, "4001610162", ("a", "b"));
        // Two updates in a row (to 0, then back to 4096) then a field: the shrink evicted the entry.
        AssertHeaders(decoder, "203fe11f82", (":method", "GET"));
        AssertTable(decoder, 0);
        AssertHeaders(decoder, "4001610162", ("a", "b"));
        AssertTable(decoder, 34, ("a", "b"));
    }

    // ---- Malformed blocks ----

    [DataTestMethod]
    [DataRow("80", "index 0")]
    [DataRow("be", "past the static and dynamic tables")]                 // 62 with an empty dynamic table
    [DataRow("7e0161", "past the static and dynamic tables")]             // literal naming index 62
    [DataRow("ff", "Truncated integer")]
    [DataRow("ff80", "Truncated integer")]
    [DataRow("ff8080808080800f", "too long")]
    [DataRow("ffffffffff7f", "larger than 2^31")]
    [DataRow("40", "Truncated string")]
    [DataRow("4001", "past the end of the block")]
    [DataRow("40056162", "past the end of the block")]
    [DataRow("400161", "Truncated string")]                               // name, then no value
    [DataRow("4081ff00", "longer than 7")]                                // Huffman name of eight one-bits
    [DataRow("4084ffffffff00", "EOS")]
    [DataRow("3fe21f", "exceeds the limit")]                              // size update to 4097
    [DataRow("8220", "after a header field")]
    public void MalformedBlocksThrow(string hex, string problem)
    {
        var decoder = new HpackDecoder();
        var error = Assert.ThrowsException<HpackException>(() => decoder.Decode(Convert.FromHexString(hex), []));
        StringAssert.Contains(error.Message, problem);
    }

    [TestMethod]
    public void HeaderListLargerThanTheLimitThrows()
    {
        var decoder = new HpackDecoder(maxHeaderListSize: 100);
        decoder.Decode(Convert.FromHexString("8282"), []); // 2 x 42 octets fits
        var error = Assert.ThrowsException<HpackException>(() => decoder.Decode(Convert.FromHexString("828282"), []));
        StringAssert.Contains(error.Message, "larger than the limit");
    }

    [TestMethod]
    public void RandomInputEitherDecodesOrThrowsHpackException()
    {
        var random = new Random(7541);
        var decoder = new HpackDecoder(maxDynamicTableSize: 256);
        string[] seeds =
        [
            "828684418cf1e3c2e5f23a6ba0ab90f4ff",
            "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
            "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
            "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
        ];
        int decoded = 0, rejected = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] block;
            if (i % 2 == 0)
            {
                block = new byte[random.Next(0, 64)];
                random.NextBytes(block);
            }
            else
            {
                // Mutations of valid blocks reach further into the decoder than pure noise.
                block = Convert.FromHexString(seeds[random.Next(seeds.Length)]);
                for (int m = random.Next(1, 4); m > 0; m--) block[random.Next(block.Length)] = (byte)random.Next(256);
                block = block[..random.Next(block.Length + 1)];
            }
            try
            {
                decoder.Decode(block, []);
                decoded++;
            }
            catch (HpackException)
            {
                rejected++;
                decoder = new HpackDecoder(maxDynamicTableSize: 256); // a real connection would end here
            }
        }
        Assert.IsTrue(decoded > 0 && rejected > 0, $"decoded {decoded}, rejected {rejected}");
    }

    // ---- Encoder ----

    [TestMethod]
    public void EncoderOutputRoundTrips()
    {
        string longValue = string.Concat(Enumerable.Repeat("0123456789abcdef", 20)); // 320 octets
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.WriteIndexed(output, 3);
        HpackEncoder.WriteIndexed(output, 7);
        HpackEncoder.WriteField(output, ":path", "/gear.v1.Learner/Stream");
        HpackEncoder.WriteField(output, ":authority", "localhost:5000");
        HpackEncoder.WriteField(output, "content-type", "application/grpc");
        HpackEncoder.WriteField(output, "te", "trailers");
        HpackEncoder.WriteField(output, "authorization", "Bearer secret", neverIndex: true);
        HpackEncoder.WriteField(output, "x-token", "t", neverIndex: true);
        HpackEncoder.WriteField(output, "x-long-header-name-" + new string('n', 120), longValue);
        HpackEncoder.WriteField(output, "grpc-timeout", "");

        var decoder = new HpackDecoder();
        AssertHeaders(decoder, Convert.ToHexStringLower(output.WrittenSpan),
            (":method", "POST"), (":scheme", "https"), (":path", "/gear.v1.Learner/Stream"),
            (":authority", "localhost:5000"), ("content-type", "application/grpc"), ("te", "trailers"),
            ("authorization", "Bearer secret"), ("x-token", "t"),
            ("x-long-header-name-" + new string('n', 120), longValue), ("grpc-timeout", ""));
        AssertTable(decoder, 0);
    }

    [TestMethod]
    public void EncoderUsesTheStaticNameAndTheRepresentationAsked()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.WriteField(output, "authorization", "x", neverIndex: true);
        Assert.AreEqual("1f080178", Convert.ToHexStringLower(output.WrittenSpan)); // 0001 1111, 23 - 15 = 8, "x"

        output.Clear();
        HpackEncoder.WriteField(output, ":path", "/");
        Assert.AreEqual("04012f", Convert.ToHexStringLower(output.WrittenSpan));

        output.Clear();
        HpackEncoder.WriteField(output, "te", "trailers");
        Assert.AreEqual("0002746508747261696c657273", Convert.ToHexStringLower(output.WrittenSpan));

        output.Clear();
        HpackEncoder.WriteIndexed(output, 6);
        Assert.AreEqual("86", Convert.ToHexStringLower(output.WrittenSpan));
    }

    [DataTestMethod]
    [DataRow("Content-Type", "x", "Content-Type")]
    [DataRow("x-a", "a\rb", "x-a")]
    [DataRow("x-b", "a\nb", "x-b")]
    [DataRow("x-c", "a\0b", "x-c")]
    [DataRow("x-d", "caf\u00e9", "x-d")]
    [DataRow("x\ne", "v", "x\ne")]
    [DataRow("", "v", "empty")]
    public void EncoderRejectsWhatHttp2Forbids(string name, string value, string named)
    {
        var error = Assert.ThrowsException<ArgumentException>(() => HpackEncoder.WriteField(new ArrayBufferWriter<byte>(), name, value));
        StringAssert.Contains(error.Message, named);
    }

    [TestMethod]
    public void EncoderRejectsIndexesOutsideTheStaticTable()
    {
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => HpackEncoder.WriteIndexed(new ArrayBufferWriter<byte>(), 0));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => HpackEncoder.WriteIndexed(new ArrayBufferWriter<byte>(), 62));
    }

    // ---- Helpers ----

    private static void AssertHeaders(HpackDecoder decoder, string hex, params (string Name, string Value)[] expected)
    {
        var headers = new List<KeyValuePair<string, string>>();
        decoder.Decode(Convert.FromHexString(hex), headers);
        CollectionAssert.AreEqual(
            expected.Select(h => $"{h.Name}: {h.Value}").ToArray(),
            headers.Select(h => $"{h.Key}: {h.Value}").ToArray());
    }

    // Reads the dynamic table back through indexed fields (62 is the newest entry), which leave it unchanged.
    private static void AssertTable(HpackDecoder decoder, int size, params (string Name, string Value)[] newestFirst)
    {
        Assert.AreEqual(size, decoder.DynamicTableSize, "table size");
        Assert.AreEqual(newestFirst.Length, decoder.DynamicTableCount, "entry count");
        for (int i = 0; i < newestFirst.Length; i++)
        {
            var headers = new List<KeyValuePair<string, string>>();
            decoder.Decode([(byte)(0x80 | (HpackStaticTable.Count + 1 + i))], headers);
            Assert.AreEqual($"{newestFirst[i].Name}: {newestFirst[i].Value}", $"{headers[0].Key}: {headers[0].Value}", $"entry {i + 1}");
        }
    }

    private static byte[] HuffmanEncode(ReadOnlySpan<byte> text)
    {
        var bytes = new List<byte>();
        ulong buffer = 0;
        int bits = 0;
        foreach (byte b in text)
        {
            buffer = (buffer << HuffmanDecoder.Lengths[b]) | HuffmanDecoder.Codes[b];
            bits += HuffmanDecoder.Lengths[b];
            while (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)(buffer >> bits));
            }
        }
        if (bits > 0) bytes.Add((byte)((buffer << (8 - bits)) | (0xFFu >> bits)));
        return bytes.ToArray();
    }
}
