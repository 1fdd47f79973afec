using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace Gear.Core.Selection;

/// <summary>
/// The held slots as a bitmap, with a Fenwick tree over the bitmap's 64-bit words' populations: O(1)
/// membership, O(log(capacity/64)) insert, remove and "the held slot of rank k". Both structures are small
/// (a bit per slot, an int per 64 slots: 190 KiB for a million slots, so they stay in the caches), unlike a
/// dense array with a position map, whose swap-removes write to a random place in memory on every removal.
/// Runs of slots in the same word (a trajectory's step items are consecutive) update the tree once per word.
/// A pick depends only on which slots are held, not on the order of calls, so a seeded request stream picks
/// the same slots on any backend.
/// </summary>
internal sealed class SlotSet
{
    private readonly ulong[] _words;
    // 1-based Fenwick tree: _tree[i] sums the populations of words (i - lowbit(i), i]. It is padded to a power
    // of two with int.MaxValue, so that a descent needs no bounds test and compiles to conditional moves.
    private readonly int[] _tree;
    private readonly int _wordCount;
    private readonly int _topStep; // the largest power of two not above the word count, where a descent starts.

    public SlotSet(int capacity)
    {
        SelectorGuards.CheckCapacity(capacity);
        Capacity = capacity;
        _wordCount = (capacity + 63) >> 6;
        _words = new ulong[_wordCount];
        _topStep = (int)BitOperations.RoundUpToPowerOf2((uint)_wordCount + 1) >> 1;
        _tree = new int[2 * _topStep];
        _tree.AsSpan(_wordCount + 1).Fill(int.MaxValue);
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    /// <summary>
    /// One past the highest held slot (0 when none is held): the range a pick's candidate is drawn from. Tables
    /// of trajectory items hold far fewer items than slots, but their slots are reused lowest first, so the
    /// held ones sit at the bottom of the range and nearly every candidate drawn from this range is held.
    /// </summary>
    public int PickRange { get; private set; }

    // The structures as they are, for a device copy of them (Compute/Cuda/DeviceUniformSelector), which the device's
    // uniform picks read with this class's arithmetic.

    /// <summary>The bitmap: bit s of word s / 64 is set where slot s is held.</summary>
    internal ReadOnlySpan<ulong> Words => _words;

    /// <summary>The Fenwick tree over the words' populations, 1-based, padded to 2 × <see cref="TopStep"/> entries.</summary>
    internal ReadOnlySpan<int> Tree => _tree;

    /// <summary>Where a descent of <see cref="Tree"/> starts.</summary>
    internal int TopStep => _topStep;

    /// <summary>Words in the bitmap (entries 1 to WordCount of <see cref="Tree"/> count them).</summary>
    internal int WordCount => _wordCount;

    public bool Contains(int slot)
    {
        SelectorGuards.CheckSlot(slot, Capacity);
        return BitRuns.IsSet(_words, slot);
    }

    /// <summary>Throws unless the slot is held.</summary>
    public void CheckHeld(int slot)
    {
        if (!Contains(slot))
        {
            SelectorGuards.ThrowNotHeld(slot);
        }
    }

    public void Add(int slot)
    {
        if (Contains(slot))
        {
            SelectorGuards.ThrowAlreadyHeld(slot);
        }

        _words[slot >> 6] |= 1UL << slot;
        AddToWord(slot >> 6, 1);
        Count++;
        PickRange = Math.Max(PickRange, slot + 1);
    }

    /// <summary>Removes a held slot.</summary>
    public void Remove(int slot)
    {
        CheckHeld(slot);
        _words[slot >> 6] &= ~(1UL << slot);
        AddToWord(slot >> 6, -1);
        Count--;
        if (slot + 1 == PickRange)
            LowerPickRange();
    }

    /// <summary>Adds the slots [first, first + count), none held yet; all or nothing.</summary>
    public void AddRun(int first, int count) => FlipRun(first, count, adding: true);

    /// <summary>Removes the held slots [first, first + count); all or nothing.</summary>
    public void RemoveRun(int first, int count) => FlipRun(first, count, adding: false);

    public void Clear()
    {
        Array.Clear(_words);
        _tree.AsSpan(0, _wordCount + 1).Clear();
        Count = 0;
        PickRange = 0;
    }

    /// <summary>
    /// A uniform pick among the held slots for a uniform <paramref name="fraction"/>, exactly: the candidate
    /// slot floor(fraction × R), R = <see cref="PickRange"/>, if it is held (one bitmap word, the common case);
    /// otherwise the held slot of rank floor(r × Count), where r, the remainder of fraction × R, is uniform and
    /// independent of the rejected candidate. Then P(s) = 1/R + (1 − Count/R)/Count = 1/Count for every held s.
    /// </summary>
    public int Pick(double fraction)
    {
        var range = PickRange;
        var scaled = fraction * range;
        var candidate = Math.Min((int)scaled, range - 1);
        if ((_words[candidate >> 6] & (1UL << candidate)) != 0)
            return candidate;
        return SlotOfRank(Scale(scaled - candidate, Count));
    }

    /// <summary>The held slot with <paramref name="rank"/> held slots below it; requires rank &lt; Count.</summary>
    public int SlotOfRank(int rank)
    {
        // Descend the Fenwick tree to the word holding the rank-th set bit, then find the bit in the word.
        var word = 0;
        for (var step = _topStep; step > 0; step >>= 1)
        {
            var next = word + step;
            var population = _tree[next];
            var take = population <= rank;
            word = take ? next : word;
            rank -= take ? population : 0;
        }

        return (word << 6) + NthSetBit(_words[word], rank);
    }

    /// <summary>floor(fraction × count), kept inside [0, count) whatever rounding did.</summary>
    public static int Scale(double fraction, int count)
    {
        int index = (int)(fraction * count);
        return index >= count ? count - 1 : index < 0 ? 0 : index;
    }

    /// <summary>
    /// Sets or clears a run of bits a word at a time, after checking that every bit is in the other state, and
    /// updates the tree once per word: a page of 256 step items is four word operations.
    /// </summary>
    private void FlipRun(int first, int count, bool adding)
    {
        if (count == 0)
        {
            return;
        }

        SelectorGuards.CheckSlot(first, Capacity);
        SelectorGuards.CheckSlot(first + count - 1, Capacity);
        // Adding, no bit of the run may be set yet; removing, every bit must be.
        var wrong = BitRuns.Find(_words, first, count, set: adding);
        if (wrong >= 0)
        {
            if (adding)
                SelectorGuards.ThrowAlreadyHeld(wrong);
            SelectorGuards.ThrowNotHeld(wrong);
        }

        for (var slot = first; slot < first + count;)
        {
            var (word, bits, mask) = BitRuns.Piece(slot, first + count);
            _words[word] ^= mask;
            AddToWord(word, adding ? bits : -bits);
            slot += bits;
        }

        Count += adding ? count : -count;
        if (adding)
            PickRange = Math.Max(PickRange, first + count);
        else if (first + count == PickRange)
            LowerPickRange();
    }

    /// <summary>After the highest held slot went: one past the new highest, found by rank in O(log).</summary>
    private void LowerPickRange() => PickRange = Count == 0 ? 0 : SlotOfRank(Count - 1) + 1;

    private void AddToWord(int word, int delta)
    {
        for (var i = word + 1; i <= _wordCount; i += i & -i)
            _tree[i] += delta;
    }

    /// <summary>The position of the set bit of <paramref name="word"/> with <paramref name="rank"/> set bits below it.</summary>
    private static int NthSetBit(ulong word, int rank)
    {
        if (Bmi2.X64.IsSupported)
            return BitOperations.TrailingZeroCount(Bmi2.X64.ParallelBitDeposit(1UL << rank, word));
        for (var i = 0; i < rank; i++)
            word &= word - 1;
        return BitOperations.TrailingZeroCount(word);
    }
}
