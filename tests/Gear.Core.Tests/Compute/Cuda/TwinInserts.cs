using Gear.Core.Schema;
using Gear.Core.Tables;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>The same random trajectories inserted into tables that must stay equal (one per backend).</summary>
internal static class TwinInserts
{
    /// <summary>
    /// Inserts <paramref name="trajectories"/> trajectories of 1 to <paramref name="maxLength"/> − 1 random steps
    /// of <paramref name="columns"/>, with priorities in [0.1, <paramref name="maxPriority"/> + 0.1), into each of
    /// <paramref name="tables"/>.
    /// </summary>
    public static void Insert(Random random, IReadOnlyList<ColumnSpec> columns, int trajectories, int maxLength, double maxPriority, params Table[] tables)
    {
        for (var t = 0; t < trajectories; t++)
        {
            var length = random.Next(1, maxLength);
            var data = columns.Select(c => (ReadOnlyMemory<byte>)RandomBytes(random, length * c.StepBytes)).ToArray();
            var priority = random.NextDouble() * maxPriority + 0.1;
            foreach (var table in tables)
            {
                var key = table.OpenTrajectory();
                table.Append(key, length, data);
                table.Close(key, priority);
            }
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
