using Gear.Protocol;

namespace Gear.Server.Security;

/// <summary>Which role each RPC of gear.v1.Replay requires (admin may call every one).</summary>
public static class MethodRoles
{
    private static readonly Dictionary<string, Role?> Required = new(StringComparer.Ordinal)
    {
        [ReplayMethods.CreateTable.FullName] = Role.Admin,
        [ReplayMethods.DropTable.FullName] = Role.Admin,
        [ReplayMethods.Delete.FullName] = Role.Admin,
        [ReplayMethods.Reset.FullName] = Role.Admin,
        [ReplayMethods.Checkpoint.FullName] = Role.Admin,
        [ReplayMethods.InsertStream.FullName] = Role.Actor,
        [ReplayMethods.Sample.FullName] = Role.Learner,
        [ReplayMethods.SampleStream.FullName] = Role.Learner,
        [ReplayMethods.UpdatePriorities.FullName] = Role.Learner,
        [ReplayMethods.OpenDataPlane.FullName] = Role.Learner,
        // Read-only views: any authenticated caller.
        [ReplayMethods.ListTables.FullName] = null,
        [ReplayMethods.GetServerInfo.FullName] = null,
    };

    /// <summary>
    /// Whether <paramref name="role"/> may call <paramref name="method"/> (a full name such as
    /// "/gear.v1.Replay/Sample"). Unknown methods need admin, so nothing new is open by accident.
    /// </summary>
    public static bool Allows(Role role, string method)
    {
        if (role == Role.Admin)
            return true;
        if (!Required.TryGetValue(method, out var required))
            return false;
        return required is null || required == role;
    }

    /// <summary>The role a method requires (null: any role), for error messages; admin for unknown methods.</summary>
    public static Role? RequiredFor(string method) => Required.TryGetValue(method, out var required) ? required : Role.Admin;
}
