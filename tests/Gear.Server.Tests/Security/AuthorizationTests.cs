using Gear.Protocol;
using Gear.Server.Security;

namespace Gear.Server.Tests.Security;

[TestClass]
public sealed class AuthorizationTests
{
    [TestMethod]
    public void TokensMapToTheirRolesAndNothingElseAuthenticates()
    {
        var auth = new TokenAuthenticator(new Dictionary<string, Role> { ["a-secret"] = Role.Actor, ["l-secret"] = Role.Learner });

        Assert.IsTrue(auth.RequiresTokens);
        Assert.AreEqual(Role.Actor, auth.Authenticate("a-secret"));
        Assert.AreEqual(Role.Learner, auth.Authenticate("l-secret"));
        Assert.IsNull(auth.Authenticate("a-secreT"));
        Assert.IsNull(auth.Authenticate(""));
        Assert.IsFalse(new TokenAuthenticator(new Dictionary<string, Role>()).RequiresTokens);
    }

    [TestMethod]
    public void EachRoleMayCallExactlyItsMethods()
    {
        string[] actor = [ReplayMethods.InsertStream.FullName, ReplayMethods.ListTables.FullName, ReplayMethods.GetServerInfo.FullName];
        string[] learner = [ReplayMethods.Sample.FullName, ReplayMethods.SampleStream.FullName, ReplayMethods.UpdatePriorities.FullName,
            ReplayMethods.OpenDataPlane.FullName, ReplayMethods.ListTables.FullName, ReplayMethods.GetServerInfo.FullName];
        foreach (var method in AllMethods)
        {
            Assert.IsTrue(MethodRoles.Allows(Role.Admin, method), method);
            Assert.AreEqual(actor.Contains(method), MethodRoles.Allows(Role.Actor, method), $"actor on {method}");
            Assert.AreEqual(learner.Contains(method), MethodRoles.Allows(Role.Learner, method), $"learner on {method}");
        }
        Assert.IsFalse(MethodRoles.Allows(Role.Learner, "/gear.v1.Replay/SomethingNew"), "unknown methods need admin");
    }

    internal static string[] AllMethods =>
    [
        ReplayMethods.CreateTable.FullName, ReplayMethods.DropTable.FullName, ReplayMethods.ListTables.FullName,
        ReplayMethods.GetServerInfo.FullName, ReplayMethods.InsertStream.FullName, ReplayMethods.Sample.FullName,
        ReplayMethods.SampleStream.FullName, ReplayMethods.UpdatePriorities.FullName, ReplayMethods.Delete.FullName,
        ReplayMethods.Reset.FullName, ReplayMethods.Checkpoint.FullName, ReplayMethods.OpenDataPlane.FullName,
    ];
}
