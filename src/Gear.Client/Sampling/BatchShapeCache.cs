namespace Gear.Client;

/// <summary>
/// The B × L × step-shape of every column, made once per batch size rather than per batch (B changes only
/// when a table runs short of items to fill a batch). Used by one producer at a time.
/// </summary>
internal sealed class BatchShapeCache(TableLayout layout)
{
    private int[][]? _shapes;
    private int _batchSize = -1;
    private int _windowLength = -1;

    public int[][] For(int batchSize, int windowLength)
    {
        var shapes = _shapes;
        if (shapes is not null && _batchSize == batchSize && _windowLength == windowLength)
            return shapes;
        shapes = new int[layout.Columns.Count][];
        for (var c = 0; c < shapes.Length; c++)
        {
            var step = layout.Columns[c].StepShape;
            var shape = new int[2 + step.Length];
            shape[0] = batchSize;
            shape[1] = windowLength;
            step.CopyTo(shape.AsSpan(2));
            shapes[c] = shape;
        }
        _batchSize = batchSize;
        _windowLength = windowLength;
        _shapes = shapes;
        return shapes;
    }
}
