using Gear.Core.Sampling;
using Gear.Core.Tables;

namespace Gear.Server.Service;

/// <summary>
/// The bytes of one column of a held batch in wire order, piece by piece: each window's head padding, its runs
/// in the table's pages (<see cref="Table.HeldRun"/>), its tail padding. Both transports that send a held batch
/// straight from the pages walk its columns this way: the data plane's vectored sends and SampleStream's reply
/// encoder. A struct, so a walk allocates nothing.
/// </summary>
internal struct HeldColumnWalk
{
    private readonly Table _table;
    private readonly WindowBatch _held;
    private readonly int _column;
    private readonly int _stepBytes;
    private int _window;
    private bool _windowStarted;
    private int _position;
    private int _end;

    /// <summary>Starts at window 0 of <paramref name="column"/> (<paramref name="stepBytes"/> bytes a step) of <paramref name="held"/>.</summary>
    public HeldColumnWalk(Table table, WindowBatch held, int column, int stepBytes)
    {
        _table = table;
        _held = held;
        _column = column;
        _stepBytes = stepBytes;
    }

    /// <summary>
    /// The next piece: <paramref name="bytes"/> bytes at <paramref name="address"/> in the table's pages, or, where
    /// <paramref name="address"/> is 0, that many bytes of padding (zeros on the wire). False after the last window.
    /// </summary>
    public bool Next(out nint address, out long bytes)
    {
        while (_window < _held.Count)
        {
            if (!_windowStarted)
            {
                (_position, _end) = _held.ValidPositions(_window);
                _windowStarted = true;
                if (_position > 0)
                    return Padding(_position, out address, out bytes);
            }
            if (_position < _end)
            {
                address = _table.HeldRun(_held, _window, _column, _position, _end, out var steps);
                _position += steps;
                bytes = (long)steps * _stepBytes;
                return true;
            }
            (_window, _windowStarted) = (_window + 1, false);
            if (_end < _held.WindowLength)
                return Padding(_held.WindowLength - _end, out address, out bytes);
        }
        (address, bytes) = (0, 0);
        return false;
    }

    private readonly bool Padding(int steps, out nint address, out long bytes)
    {
        (address, bytes) = (0, (long)steps * _stepBytes);
        return true;
    }
}
