namespace Gear.Server.Hosting;

/// <summary>Process exit codes of <c>gear serve</c>, so that scripts and orchestrators can tell failures apart.</summary>
public static class ExitCodes
{
    /// <summary>Ran and shut down cleanly (also after SIGTERM or Ctrl-C).</summary>
    public const int Ok = 0;

    /// <summary>Could not start: an address in use, a listener that cannot bind, a table that cannot be allocated.</summary>
    public const int StartFailed = 1;

    /// <summary>The command line or configuration is invalid; the message names the field.</summary>
    public const int InvalidConfiguration = 2;
}
