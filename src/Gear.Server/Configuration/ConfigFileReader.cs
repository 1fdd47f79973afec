using System.Text.Json;
using Google.Protobuf;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Configuration;

/// <summary>
/// Reads a <c>gear serve</c> JSON config file into <see cref="ServerSettings"/>. Comments and trailing commas
/// are allowed (people annotate config files); unknown fields are errors (a misspelt field silently ignored is
/// a setting silently lost). Tables are proto-JSON <c>gear.v1.TableSpec</c> objects parsed by Google.Protobuf,
/// so the config file and the CreateTable RPC accept exactly the same spec.
/// </summary>
public static class ConfigFileReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    // Strict: an unknown field inside a table spec is an error, as at the top level.
    private static readonly JsonParser TableParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>Reads a config file; relative paths in it are taken relative to the file's directory.</summary>
    /// <param name="path">The file.</param>
    /// <param name="field">The flag that named it ("--config"), for messages.</param>
    /// <exception cref="ConfigException">The file cannot be read or holds a bad value.</exception>
    public static ServerSettings ReadFile(string path, string field)
    {
        string json;
        var fullPath = Path.GetFullPath(path);
        try
        {
            json = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(field, $"cannot read config file '{path}': {e.Message}");
        }
        return Read(json, $"config file '{path}'", Path.GetDirectoryName(fullPath)!);
    }

    /// <summary>Reads config JSON.</summary>
    /// <param name="json">The text.</param>
    /// <param name="source">What the text is, for syntax errors ("config file 'gear.json'").</param>
    /// <param name="baseDirectory">Directory that relative paths in the file are relative to.</param>
    /// <exception cref="ConfigException">Bad JSON, an unknown field, or a value of the wrong type.</exception>
    public static ServerSettings Read(string json, string source, string baseDirectory)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ConfigException(source, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ConfigException(source, $"expected a JSON object at the top, got {Describe(root.ValueKind)}");

            var settings = new ServerSettings();
            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "listen":
                        ReadListen(value, settings);
                        break;
                    case "device":
                        settings.Device = new(String(value, "device"), "device");
                        break;
                    case "gatherThreads":
                        settings.GatherThreads = new(Integer(value, "gatherThreads"), "gatherThreads");
                        break;
                    case "logLevel":
                        settings.LogLevel = new(String(value, "logLevel"), "logLevel");
                        break;
                    case "limits":
                        ReadLimits(value, settings);
                        break;
                    case "shutdownDrainSeconds":
                        settings.ShutdownDrainSeconds = new(Number(value, "shutdownDrainSeconds"), "shutdownDrainSeconds");
                        break;
                    case "tokens":
                        ReadTokens(value, settings);
                        break;
                    case "tokenFile":
                        settings.Tokens.AddRange(TokenSources.ReadFile(FilePath(value, "tokenFile", baseDirectory), "tokenFile"));
                        break;
                    case "tls":
                        ReadTls(value, settings, baseDirectory);
                        break;
                    case "tables":
                        ReadTables(value, settings);
                        break;
                    case "checkpoints":
                        ReadCheckpoints(value, settings, baseDirectory);
                        break;
                    case "writeAheadLog":
                        ReadWriteAheadLog(value, settings, baseDirectory);
                        break;
                    default:
                        throw Unknown(property.Name,
                            "listen, device, gatherThreads, logLevel, limits, shutdownDrainSeconds, tokens, tokenFile, tls, tables, checkpoints, writeAheadLog");
                }
            }
            return settings;
        }
    }

    private static void ReadListen(JsonElement listen, ServerSettings settings)
    {
        foreach (var property in Object(listen, "listen"))
        {
            var field = $"listen.{property.Name}";
            switch (property.Name)
            {
                case "grpc":
                    settings.Grpc = new(String(property.Value, field), field);
                    break;
                case "admin":
                    settings.Admin = new(String(property.Value, field), field);
                    break;
                case "dataPlane":
                    settings.DataPlane = new(String(property.Value, field), field);
                    break;
                default:
                    throw Unknown(field, "grpc, admin, dataPlane");
            }
        }
    }

    private static void ReadCheckpoints(JsonElement checkpoints, ServerSettings settings, string baseDirectory)
    {
        foreach (var property in Object(checkpoints, "checkpoints"))
        {
            var field = $"checkpoints.{property.Name}";
            switch (property.Name)
            {
                case "directory":
                    settings.CheckpointDirectory = new(FilePath(property.Value, field, baseDirectory), field);
                    break;
                case "intervalSeconds":
                    settings.CheckpointIntervalSeconds = new(Number(property.Value, field), field);
                    break;
                case "keep":
                    settings.CheckpointKeep = new(Integer(property.Value, field), field);
                    break;
                default:
                    throw Unknown(field, "directory, intervalSeconds, keep");
            }
        }
    }

    private static void ReadWriteAheadLog(JsonElement log, ServerSettings settings, string baseDirectory)
    {
        foreach (var property in Object(log, "writeAheadLog"))
        {
            var field = $"writeAheadLog.{property.Name}";
            switch (property.Name)
            {
                case "directory":
                    settings.WriteAheadLogDirectory = new(FilePath(property.Value, field, baseDirectory), field);
                    break;
                case "fsync":
                    settings.WriteAheadLogFsync = new(String(property.Value, field), field);
                    break;
                case "fsyncIntervalMs":
                    settings.WriteAheadLogFsyncIntervalMs = new(Number(property.Value, field), field);
                    break;
                default:
                    throw Unknown(field, "directory, fsync, fsyncIntervalMs");
            }
        }
    }

    private static void ReadLimits(JsonElement limits, ServerSettings settings)
    {
        foreach (var property in Object(limits, "limits"))
        {
            var field = $"limits.{property.Name}";
            switch (property.Name)
            {
                case "maxReceiveMessageBytes":
                    settings.MaxReceiveMessageBytes = new(Integer(property.Value, field), field);
                    break;
                case "maxSendMessageBytes":
                    settings.MaxSendMessageBytes = new(Integer(property.Value, field), field);
                    break;
                case "maxConcurrentStreamsPerConnection":
                    settings.MaxConcurrentStreamsPerConnection = new(Integer(property.Value, field), field);
                    break;
                case "maxConnections":
                    // null spells "no limit" explicitly, the same as leaving the field out.
                    settings.MaxConnections = property.Value.ValueKind == JsonValueKind.Null
                        ? null
                        : new(Integer(property.Value, field), field);
                    break;
                case "requestHeadersTimeoutSeconds":
                    settings.RequestHeadersTimeoutSeconds = new(Number(property.Value, field), field);
                    break;
                default:
                    throw Unknown(field, "maxReceiveMessageBytes, maxSendMessageBytes, maxConcurrentStreamsPerConnection, maxConnections, requestHeadersTimeoutSeconds");
            }
        }
    }

    private static void ReadTokens(JsonElement tokens, ServerSettings settings)
    {
        var index = 0;
        foreach (var property in Object(tokens, "tokens"))
        {
            // The field names the entry by position: the token is the property name and must never be printed.
            var field = $"tokens (entry {++index})";
            settings.Tokens.Add(new TokenEntry(property.Name, String(property.Value, field), field));
        }
    }

    private static void ReadTls(JsonElement tls, ServerSettings settings, string baseDirectory)
    {
        foreach (var property in Object(tls, "tls"))
        {
            var field = $"tls.{property.Name}";
            switch (property.Name)
            {
                case "certificate":
                    settings.Tls.Certificate = new(FilePath(property.Value, field, baseDirectory), field);
                    break;
                case "key":
                    settings.Tls.Key = new(FilePath(property.Value, field, baseDirectory), field);
                    break;
                case "pfx":
                    settings.Tls.Pfx = new(FilePath(property.Value, field, baseDirectory), field);
                    break;
                case "pfxPassword":
                    settings.Tls.PfxPassword = new(String(property.Value, field), field);
                    break;
                default:
                    throw Unknown(field, "certificate, key, pfx, pfxPassword");
            }
        }
    }

    private static void ReadTables(JsonElement tables, ServerSettings settings)
    {
        if (tables.ValueKind != JsonValueKind.Array)
            throw new ConfigException("tables", $"expected an array of gear.v1.TableSpec objects, got {Describe(tables.ValueKind)}");
        var index = 0;
        foreach (var table in tables.EnumerateArray())
        {
            var field = $"tables[{index++}]";
            if (table.ValueKind != JsonValueKind.Object)
                throw new ConfigException(field, $"expected a gear.v1.TableSpec object, got {Describe(table.ValueKind)}");
            Wire.TableSpec spec;
            try
            {
                spec = TableParser.Parse<Wire.TableSpec>(WithoutComments(table));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
            {
                throw new ConfigException(field, $"not a valid gear.v1.TableSpec: {e.Message}");
            }
            settings.Tables.Add(new(spec, field));
        }
    }

    // GetRawText would keep the comments that the file may have, which the protobuf parser rejects.
    private static string WithoutComments(JsonElement element)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static JsonElement.ObjectEnumerator Object(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Object
            ? value.EnumerateObject()
            : throw new ConfigException(field, $"expected an object, got {Describe(value.ValueKind)}");

    private static string String(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new ConfigException(field, $"expected a string, got {Describe(value.ValueKind)}");

    private static long Integer(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : throw new ConfigException(field, $"expected a whole number, got {(value.ValueKind == JsonValueKind.Number ? value.GetRawText() : Describe(value.ValueKind))}");

    private static double Number(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new ConfigException(field, $"expected a number, got {Describe(value.ValueKind)}");

    private static string FilePath(JsonElement value, string field, string baseDirectory)
    {
        var path = String(value, field);
        if (path.Length == 0)
            throw new ConfigException(field, "the path is empty");
        return Path.GetFullPath(path, baseDirectory);
    }

    private static ConfigException Unknown(string field, string known) =>
        new(field, $"unknown field; known fields here: {known}");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    // System.Text.Json appends path and position details that we already report our way.
    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
