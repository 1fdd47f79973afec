using Gear.Server.Configuration;

namespace Gear.Server.Tests.Configuration;

[TestClass]
public sealed class TokenSourcesTests
{
    [TestMethod]
    public void ParsesTheEnvironmentVariableFormat()
    {
        var entries = TokenSources.ParseList(" tok1=admin, tok2 = actor ,,tok3=learner,");
        CollectionAssert.AreEqual(new[] { ("tok1", "admin"), ("tok2", "actor"), ("tok3", "learner") },
            entries.Select(e => (e.Token, e.RoleText)).ToArray());
        Assert.AreEqual("GEAR_TOKENS (entry 2)", entries[1].Field);
    }

    [TestMethod]
    public void EmptyOrMissingVariableGivesNoTokens()
    {
        Assert.AreEqual(0, TokenSources.ParseList(null).Count);
        Assert.AreEqual(0, TokenSources.ParseList("  ").Count);
    }

    [TestMethod]
    public void RoleIsAfterTheLastEqualsSoBase64TokensWork()
    {
        var entry = TokenSources.ParseList("YWJjZA===actor").Single();
        Assert.AreEqual("YWJjZA==", entry.Token);
        Assert.AreEqual("actor", entry.RoleText);
    }

    [TestMethod]
    public void MalformedPairsNameTheEntryButNotTheToken()
    {
        var error = ConfigAssert.FailsAt("GEAR_TOKENS (entry 2)", () => TokenSources.ParseList("a=admin,secretvalue"), "token=role");
        Assert.IsFalse(error.Message.Contains("secretvalue"), error.Message);
        ConfigAssert.FailsAt("GEAR_TOKENS (entry 1)", () => TokenSources.ParseList("=admin"), "empty");
    }

    [TestMethod]
    public void ReadsATokenFileSkippingCommentsAndBlankLines()
    {
        using var directory = new TempDirectory();
        var file = directory.Write("tokens", "# learners\n\nlearn-tok=learner\n  act-tok = actor  \n");

        var entries = TokenSources.ReadFile(file, "--token-file");

        CollectionAssert.AreEqual(new[] { ("learn-tok", "learner"), ("act-tok", "actor") },
            entries.Select(e => (e.Token, e.RoleText)).ToArray());
        Assert.AreEqual($"--token-file '{file}' line 4", entries[1].Field);
    }

    [TestMethod]
    public void TokenFileErrorsNameFileAndLine()
    {
        using var directory = new TempDirectory();
        var file = directory.Write("tokens", "ok=admin\nno-role-here\n");
        ConfigAssert.FailsAt($"--token-file '{file}' line 2", () => TokenSources.ReadFile(file, "--token-file"));
        ConfigAssert.FailsAt("--token-file", () => TokenSources.ReadFile(Path.Combine(directory.Path, "none"), "--token-file"), "cannot read");
    }

    [TestMethod]
    public void EntriesPrintWithoutTheToken() =>
        Assert.IsFalse(new TokenEntry("hunter2", "admin", "tokens (entry 1)").ToString().Contains("hunter2"));
}
