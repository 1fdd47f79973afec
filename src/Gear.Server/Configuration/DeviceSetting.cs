using System.Globalization;

namespace Gear.Server.Configuration;

/// <summary>Which kind of compute device the user asked for.</summary>
public enum DeviceKind
{
    /// <summary>CUDA device 0 when it is usable, else the CPU backend (the log says why).</summary>
    Auto,

    /// <summary>The CPU reference backend.</summary>
    Cpu,

    /// <summary>A CUDA device by ordinal.</summary>
    Cuda,
}

/// <summary>The <c>--device</c> setting: <c>auto</c>, <c>cpu</c> or <c>cuda:N</c>.</summary>
/// <param name="Kind">The device kind.</param>
/// <param name="CudaOrdinal">The CUDA device ordinal when <see cref="Kind"/> is <see cref="DeviceKind.Cuda"/>, else 0.</param>
public readonly record struct DeviceSetting(DeviceKind Kind, int CudaOrdinal = 0)
{
    /// <summary>Parses "auto", "cpu" or "cuda:N" (case-insensitive; "cuda" alone means cuda:0).</summary>
    /// <exception cref="ConfigException">Anything else.</exception>
    public static DeviceSetting Parse(string? text, string field)
    {
        var value = text?.Trim().ToLowerInvariant();
        switch (value)
        {
            case "auto":
                return new DeviceSetting(DeviceKind.Auto);
            case "cpu":
                return new DeviceSetting(DeviceKind.Cpu);
            case "cuda":
                return new DeviceSetting(DeviceKind.Cuda);
        }
        if (value is not null && value.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
            return new DeviceSetting(DeviceKind.Cuda, ordinal);
        throw new ConfigException(field, $"'{text}' is not a device; use auto, cpu or cuda:N");
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cuda => $"cuda:{CudaOrdinal}",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
