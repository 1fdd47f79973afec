using System.Buffers.Binary;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// A seeded mutation engine: from valid inputs it makes nearly-valid ones (bit flips, boundary bytes, length
/// fields nudged, ranges inserted, deleted or duplicated, truncation, two inputs spliced). The same seed gives
/// the same sequence of mutations, so a failure reproduces from the seed and input number it reports.
/// </summary>
internal sealed class Mutator(int seed)
{
    /// <summary>Bytes that sit on boundaries parsers get wrong: zero, all ones, and both sides of the sign bit.</summary>
    private static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    /// <summary>Values for 32-bit fields (lengths, counts): empty, one, sign boundaries, and the maximum.</summary>
    private static readonly uint[] InterestingWords = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];

    private readonly Random _random = new(seed);

    /// <summary>The generator behind the mutations, for targets that make their own choices from the same seed.</summary>
    public Random Random => _random;

    /// <summary>
    /// A mutated copy of <paramref name="input"/>: one to four mutations stacked; <paramref name="others"/>
    /// (other valid inputs) are what splicing draws from.
    /// </summary>
    public byte[] Mutate(ReadOnlySpan<byte> input, IReadOnlyList<byte[]>? others = null)
    {
        var data = new List<byte>(input.ToArray());
        for (var count = _random.Next(1, 5); count > 0; count--)
            MutateOnce(data, others);
        return [.. data];
    }

    /// <summary>A mutated copy of the UTF-8 text <paramref name="text"/> (which may come back as invalid UTF-8).</summary>
    public byte[] Mutate(string text, IReadOnlyList<byte[]>? others = null) => Mutate(System.Text.Encoding.UTF8.GetBytes(text), others);

    private void MutateOnce(List<byte> data, IReadOnlyList<byte[]>? others)
    {
        if (data.Count == 0)
        {
            data.Add(InterestingBytes[_random.Next(InterestingBytes.Length)]);
            return;
        }
        switch (_random.Next(9))
        {
            case 0:
                data[Position(data)] ^= (byte)(1 << _random.Next(8));
                break;
            case 1:
                data[Position(data)] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 2:
                data[Position(data)] = (byte)(data[Position(data)] + _random.Next(-16, 17));
                break;
            case 3:
                TweakWord(data);
                break;
            case 4:
                InsertRandom(data);
                break;
            case 5:
                var from = Position(data);
                data.RemoveRange(from, Math.Min(RangeLength(data), data.Count - from));
                break;
            case 6:
                var start = Position(data);
                var length = Math.Min(RangeLength(data), data.Count - start);
                data.InsertRange(Position(data), data.GetRange(start, length));
                break;
            case 7:
                Truncate(data);
                break;
            default:
                Splice(data, others);
                break;
        }
    }

    private int Position(List<byte> data) => _random.Next(data.Count);

    /// <summary>A short range (most bugs need only a few bytes moved) that still fits.</summary>
    private int RangeLength(List<byte> data) => Math.Min(data.Count - 1, _random.Next(1, 17));

    /// <summary>Overwrites 4 bytes (a length or count field, little- or big-endian) with an interesting value or a nudge of the old one.</summary>
    private void TweakWord(List<byte> data)
    {
        if (data.Count < 4)
        {
            data[Position(data)] = InterestingBytes[_random.Next(InterestingBytes.Length)];
            return;
        }
        var at = _random.Next(data.Count - 3);
        Span<byte> word = stackalloc byte[4];
        for (var i = 0; i < 4; i++)
            word[i] = data[at + i];
        var bigEndian = _random.Next(2) == 0;
        var old = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(word) : BinaryPrimitives.ReadUInt32LittleEndian(word);
        var value = _random.Next(2) == 0 ? InterestingWords[_random.Next(InterestingWords.Length)] : old + (uint)_random.Next(-8, 9);
        if (bigEndian)
            BinaryPrimitives.WriteUInt32BigEndian(word, value);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(word, value);
        for (var i = 0; i < 4; i++)
            data[at + i] = word[i];
    }

    private void InsertRandom(List<byte> data)
    {
        var bytes = new byte[_random.Next(1, 17)];
        _random.NextBytes(bytes);
        data.InsertRange(_random.Next(data.Count + 1), bytes);
    }

    private void Truncate(List<byte> data)
    {
        var cut = _random.Next(data.Count);
        data.RemoveRange(cut, data.Count - cut);
    }

    /// <summary>The head of this input up to a random point, then the tail of another from a random point.</summary>
    private void Splice(List<byte> data, IReadOnlyList<byte[]>? others)
    {
        if (others is null || others.Count == 0)
        {
            InsertRandom(data);
            return;
        }
        var other = others[_random.Next(others.Count)];
        var cut = _random.Next(data.Count + 1);
        data.RemoveRange(cut, data.Count - cut);
        data.AddRange(other.Skip(_random.Next(other.Length + 1)));
    }
}
