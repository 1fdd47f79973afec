using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gear.Server.Checkpoints;

/// <summary>
/// manifest.json of a checkpoint directory: when it was taken and, per table, its file, size and checksum
/// (the SHA-256 that also ends the file). Written last, so a checkpoint without one is incomplete.
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Format version of the checkpoint layout.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>When the tables were snapshotted (UTC).</summary>
    public required DateTime CreatedUtc { get; init; }

    /// <summary>How long table locks were held, milliseconds.</summary>
    public required double PauseMs { get; init; }

    /// <summary>One entry per table.</summary>
    public required IReadOnlyList<CheckpointTableEntry> Tables { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The manifest as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses a manifest.</summary>
    /// <exception cref="InvalidDataException">Not a valid manifest.</exception>
    public static CheckpointManifest Parse(string json)
    {
        CheckpointManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(json, Options)
                ?? throw new InvalidDataException("manifest.json is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"manifest.json is not a valid manifest: {e.Message}", e);
        }
        // The serializer lets a JSON null through where the record needs a value; found by fuzzing, such a
        // manifest failed later with an ArgumentNullException instead of being refused here.
        if (manifest.Tables is null || manifest.Tables.Any(t => t?.Name is null || t.File is null || t.Sha256 is null))
            throw new InvalidDataException("manifest.json lists a table without its name, file or checksum");
        return manifest;
    }
}

/// <summary>One table of a checkpoint.</summary>
/// <param name="Name">The table's name.</param>
/// <param name="File">The snapshot file, relative to the checkpoint directory.</param>
/// <param name="Bytes">The file's length.</param>
/// <param name="Sha256">The file's trailing SHA-256 (hex).</param>
/// <param name="Items">Live items.</param>
/// <param name="StoredSteps">Steps stored.</param>
/// <param name="LogSequence">The last write-ahead-logged mutation the snapshot holds (0 in manifests from before the log).</param>
public sealed record CheckpointTableEntry(string Name, string File, long Bytes, string Sha256, int Items, long StoredSteps, long LogSequence = 0);
