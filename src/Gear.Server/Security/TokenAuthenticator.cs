using System.Security.Cryptography;
using System.Text;

namespace Gear.Server.Security;

/// <summary>
/// Maps bearer tokens to roles. Tokens are kept only as SHA-256 digests, so a memory dump or a log line
/// never shows one, and a lookup compares digests in fixed time.
/// </summary>
public sealed class TokenAuthenticator
{
    private readonly (byte[] Digest, Role Role)[] _tokens;

    /// <summary>Creates an authenticator for <paramref name="tokens"/> (token → role); empty means no tokens.</summary>
    /// <exception cref="ArgumentException">A token is empty or blank.</exception>
    public TokenAuthenticator(IReadOnlyDictionary<string, Role> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens.Select(pair =>
        {
            if (string.IsNullOrWhiteSpace(pair.Key))
                throw new ArgumentException("a token must not be empty", nameof(tokens));
            return (Digest(pair.Key), pair.Value);
        }).ToArray();
    }

    /// <summary>
    /// Whether callers must present a token. When no token is configured the server serves loopback only and
    /// every loopback caller is an admin.
    /// </summary>
    public bool RequiresTokens => _tokens.Length > 0;

    /// <summary>The role of <paramref name="token"/>, or null when it is not a configured token.</summary>
    public Role? Authenticate(string token)
    {
        var digest = Digest(token);
        Role? role = null;
        // Every configured digest is compared, so the time taken does not say which one matched.
        foreach (var (candidate, candidateRole) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, digest))
                role = candidateRole;
        }
        return role;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
