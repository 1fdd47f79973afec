using Gear.Server.Configuration;

namespace Gear.Server.Tests.Configuration;

/// <summary>Asserts that a configuration step fails with an error naming a given field.</summary>
internal static class ConfigAssert
{
    public static ConfigException FailsAt(string field, Action action, string? messagePart = null)
    {
        var error = Assert.ThrowsExactly<ConfigException>(action);
        Assert.AreEqual(field, error.Field, $"wrong field in: {error.Message}");
        Assert.IsTrue(error.Message.StartsWith(field + ": ", StringComparison.Ordinal), $"message does not start with the field: {error.Message}");
        if (messagePart is not null)
            StringAssert.Contains(error.Message, messagePart);
        return error;
    }
}
