using System.Reflection;

namespace Gear.Server.Hosting;

/// <summary>The version this build reports (GetServerInfo, logs): the assembly's informational version.</summary>
public static class ServerVersion
{
    /// <summary>E.g. "1.0.0+2ceb808…" (the SDK appends the commit when it knows it).</summary>
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ServerVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
