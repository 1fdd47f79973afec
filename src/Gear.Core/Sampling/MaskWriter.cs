using System.Runtime.InteropServices;

namespace Gear.Core.Sampling;

/// <summary>
/// Writes a batch's mask window by window, with one fill of true over each stretch of consecutive windows that are
/// valid at every position (the usual case, no padding): a batch of 256 one-step windows is then one fill instead
/// of three span calls a window, which were about 5% of a W2 sample. Every window from the first one named to the
/// one <see cref="Finish"/> names is written, so a reused mask keeps nothing of the last batch.
/// </summary>
internal unsafe ref struct MaskWriter
{
    private readonly bool* _mask;
    private readonly int _windowLength;
    private int _stretchFrom;

    /// <summary>Starts at window <paramref name="from"/> of <paramref name="mask"/> (windowLength bytes a window).</summary>
    public MaskWriter(bool* mask, int windowLength, int from)
    {
        _mask = mask;
        _windowLength = windowLength;
        _stretchFrom = from;
    }

    /// <summary>Window <paramref name="window"/> (the next after the last one named) is valid at positions [first, end).</summary>
    public void Window(int window, int first, int end)
    {
        if (first == 0 && end == _windowLength)
            return; // joins the stretch, filled when it ends
        FillStretch(window);
        var row = new Span<bool>(_mask + (long)window * _windowLength, _windowLength);
        row[..first].Clear();
        row[first..end].Fill(true);
        row[end..].Clear();
        _stretchFrom = window + 1;
    }

    /// <summary>Writes what is left, up to window <paramref name="to"/> (exclusive).</summary>
    public void Finish(int to) => FillStretch(to);

    private void FillStretch(int to)
    {
        if (to > _stretchFrom)
            NativeMemory.Fill(_mask + (long)_stretchFrom * _windowLength, (nuint)((long)(to - _stretchFrom) * _windowLength), 1);
    }
}
