namespace Gear.Server.Configuration;

/// <summary>
/// One configured bearer token with its role as written, before validation. <see cref="ToString"/> hides the
/// token: entries end up in error messages and logs, tokens must not.
/// </summary>
/// <param name="Token">The secret token.</param>
/// <param name="RoleText">The role as written: actor, learner or admin.</param>
/// <param name="Field">Where it was given, without the token: "tokens (entry 2)", "GEAR_TOKENS (entry 1)".</param>
public readonly record struct TokenEntry(string Token, string RoleText, string Field)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Field}: <token> = {RoleText}";
}
