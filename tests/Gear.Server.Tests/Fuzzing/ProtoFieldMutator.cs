using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Mutates protobuf messages field by field: a random field, at any depth, gets a boundary value (zero,
/// negative, the type's extremes, NaN and infinities, empty or long strings and bytes, unknown enum values,
/// repeated fields cleared or duplicated). Byte-level mutation mostly yields messages that do not parse; these
/// parse and reach the service's own validation.
/// </summary>
internal static class ProtoFieldMutator
{
    private static readonly long[] Integers = [0, 1, -1, 2, 255, 4096, int.MaxValue, int.MinValue, long.MaxValue, long.MinValue];
    private static readonly double[] Doubles = [0, -0.0, -1, 1e-300, 1e300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon];

    /// <summary>A copy of <paramref name="message"/> with one to three fields set to boundary values.</summary>
    public static byte[] Mutate(IMessage message, Random random)
    {
        var copy = message.Descriptor.Parser.ParseFrom(message.ToByteString());
        for (var count = random.Next(1, 4); count > 0; count--)
            MutateOneField(copy, random, depth: 0);
        return copy.ToByteArray();
    }

    private static void MutateOneField(IMessage message, Random random, int depth)
    {
        var fields = message.Descriptor.Fields.InFieldNumberOrder();
        if (fields.Count == 0)
            return;
        var field = fields[random.Next(fields.Count)];
        var accessor = field.Accessor;
        if (field.IsRepeated)
        {
            var list = (IList)accessor.GetValue(message);
            switch (random.Next(3))
            {
                case 0:
                    list.Clear();
                    break;
                case 1 when list.Count > 0:
                    list.Add(list[random.Next(list.Count)]);
                    break;
                default:
                    if (field.FieldType != FieldType.Message)
                        list.Add(BoundaryValue(field, random));
                    break;
            }
            return;
        }
        if (field.FieldType == FieldType.Message)
        {
            var child = (IMessage?)accessor.GetValue(message);
            if (child is null || depth > 4 || random.Next(4) == 0)
                accessor.Clear(message);
            else
                MutateOneField(child, random, depth + 1);
            return;
        }
        accessor.SetValue(message, BoundaryValue(field, random));
    }

    private static object BoundaryValue(FieldDescriptor field, Random random)
    {
        var integer = Integers[random.Next(Integers.Length)];
        return field.FieldType switch
        {
            FieldType.Double => Doubles[random.Next(Doubles.Length)],
            FieldType.Float => (float)Doubles[random.Next(Doubles.Length)],
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => unchecked((int)integer),
            FieldType.UInt32 or FieldType.Fixed32 => unchecked((uint)integer),
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => integer,
            FieldType.UInt64 or FieldType.Fixed64 => unchecked((ulong)integer),
            FieldType.Bool => random.Next(2) == 0,
            FieldType.Enum => random.Next(3) == 0 ? 99 : random.Next(field.EnumType.Values.Count),
            FieldType.String => random.Next(4) switch
            {
                0 => "",
                1 => new string('x', 5000),
                2 => "../../etc/passwd",
                _ => "\u0000é\uFFFD",
            },
            FieldType.Bytes => ByteString.CopyFrom(new byte[random.Next(4) == 0 ? 0 : random.Next(1, 300)]),
            _ => throw new NotSupportedException($"field type {field.FieldType}"),
        };
    }
}
