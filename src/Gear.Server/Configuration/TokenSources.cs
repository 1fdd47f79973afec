namespace Gear.Server.Configuration;

/// <summary>
/// Reads tokens from the places other than the config file: the <c>GEAR_TOKENS</c> environment variable
/// ("tok1=admin,tok2=actor") and a token file (one "token=role" per line, '#' comments). Environment and
/// file keep secrets out of the config file and the process list.
/// </summary>
public static class TokenSources
{
    /// <summary>The environment variable with comma-separated token=role pairs.</summary>
    public const string EnvironmentVariable = "GEAR_TOKENS";

    /// <summary>Parses the <see cref="EnvironmentVariable"/> format: comma-separated token=role pairs.</summary>
    /// <param name="text">The variable's value; null or blank gives no tokens.</param>
    /// <exception cref="ConfigException">A pair without '=' or with an empty token.</exception>
    public static IReadOnlyList<TokenEntry> ParseList(string? text)
    {
        var entries = new List<TokenEntry>();
        if (string.IsNullOrWhiteSpace(text))
            return entries;
        var pairs = text.Split(',', StringSplitOptions.TrimEntries);
        for (var i = 0; i < pairs.Length; i++)
        {
            if (pairs[i].Length == 0)
                continue; // tolerate "a=admin," and "a=admin,,b=actor"
            entries.Add(ParsePair(pairs[i], $"{EnvironmentVariable} (entry {i + 1})"));
        }
        return entries;
    }

    /// <summary>Reads a token file: one token=role per line; blank lines and lines starting with '#' are skipped.</summary>
    /// <param name="path">The file.</param>
    /// <param name="field">The flag or field that named the file, for messages.</param>
    /// <exception cref="ConfigException">The file cannot be read, or a line is not token=role.</exception>
    public static IReadOnlyList<TokenEntry> ReadFile(string path, string field)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(field, $"cannot read token file '{path}': {e.Message}");
        }

        var entries = new List<TokenEntry>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            entries.Add(ParsePair(line, $"{field} '{path}' line {i + 1}"));
        }
        return entries;
    }

    private static TokenEntry ParsePair(string pair, string field)
    {
        // The token may itself contain '=' (base64 padding): the role is after the last one.
        var equals = pair.LastIndexOf('=');
        if (equals < 0)
            throw new ConfigException(field, "expected token=role (role: actor, learner or admin)");
        var token = pair[..equals].Trim();
        if (token.Length == 0)
            throw new ConfigException(field, "the token is empty; expected token=role");
        return new TokenEntry(token, pair[(equals + 1)..].Trim(), field);
    }
}
