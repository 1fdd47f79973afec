using Google.Protobuf;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>The columns of one standard workload's steps (DESIGN.md "Benchmarks"), and step data for them.</summary>
public sealed class StepLayout
{
    private StepLayout(string name, params (string Name, Wire.DType DType, int[] Shape, int ElementBytes)[] columns)
    {
        Name = name;
        Columns = [.. columns.Select(c => new Wire.ColumnSpec { Name = c.Name, Dtype = c.DType, Shape = { c.Shape } })];
        ColumnStepBytes = [.. columns.Select(c => c.Shape.Aggregate(c.ElementBytes, (bytes, dimension) => bytes * dimension))];
        StepBytes = ColumnStepBytes.Sum();
    }

    /// <summary>W1 Atari transitions: obs u8[4,84,84], action i32, reward f32, done bool (28,233 B).</summary>
    public static StepLayout W1 { get; } = new("W1",
        ("obs", Wire.DType.U8, [4, 84, 84], 1), ("action", Wire.DType.I32, [], 4),
        ("reward", Wire.DType.F32, [], 4), ("done", Wire.DType.Bool, [], 1));

    /// <summary>W2 MuJoCo transitions: obs f32[17], action f32[6], reward f32, done bool (97 B).</summary>
    public static StepLayout W2 { get; } = new("W2",
        ("obs", Wire.DType.F32, [17], 4), ("action", Wire.DType.F32, [6], 4),
        ("reward", Wire.DType.F32, [], 4), ("done", Wire.DType.Bool, [], 1));

    /// <summary>W4 long-sequence steps: f32[256] (1,024 B).</summary>
    public static StepLayout W4 { get; } = new("W4", ("x", Wire.DType.F32, [256], 4));

    /// <summary>"W1", "W2" or "W4".</summary>
    public string Name { get; }

    /// <summary>The columns as the wire spec declares them.</summary>
    public IReadOnlyList<Wire.ColumnSpec> Columns { get; }

    /// <summary>Bytes of one step of each column.</summary>
    public IReadOnlyList<int> ColumnStepBytes { get; }

    /// <summary>Bytes of one step over all columns.</summary>
    public int StepBytes { get; }

    /// <summary>
    /// One column entry per column holding <paramref name="steps"/> steps of data, wrapped without copying so
    /// that a reused request costs the client nothing but its serialization. Booleans are 0 or 1 (the table
    /// checks them); other bytes are a cheap pattern, since only their amount matters here.
    /// </summary>
    public ByteString[] StepData(int steps)
    {
        var data = new ByteString[Columns.Count];
        for (var c = 0; c < data.Length; c++)
        {
            var bytes = new byte[steps * ColumnStepBytes[c]];
            if (Columns[c].Dtype != Wire.DType.Bool)
            {
                for (var i = 0; i < bytes.Length; i++)
                    bytes[i] = (byte)(i * 31 + c);
            }
            data[c] = UnsafeByteOperations.UnsafeWrap(bytes);
        }
        return data;
    }
}
