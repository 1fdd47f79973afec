using System.CommandLine;
using Gear.Core.Compute;
using Gear.Core.Compute.Cuda;
using Gear.Server.Configuration;
using Gear.Server.Hosting;

namespace Gear.Server.Cli;

/// <summary>
/// <c>gear selftest</c>: checks the compute backend on this machine against exact references and prints one line
/// per check. On the CPU: window gathers byte for byte, prioritized selection against its distribution. On a
/// CUDA device: the device's sum trees, stratified selections and gathers (into pinned host buffers and into a
/// <see cref="DeviceBatch"/>'s device memory) against the CPU backend, whole tables selecting on the device against
/// the same tables on the CPU, and its importance weights, uniform picks and top-k (from device copies of the
/// selectors' state) against the CPU's selectors, given the same random inputs (<see cref="BackendComparison"/>),
/// as a short table. Exit codes: 0 every check passed,
/// 1 a check failed or the device is not available, 2 usage.
/// </summary>
public static class SelfTestCommand
{
    /// <summary>Exit code when a check fails or the device cannot be used.</summary>
    public const int Failed = 1;

    private static readonly Option<string> DeviceOption = new("--device")
    { HelpName = "cpu|cuda[:N]", Description = "The backend to check (default cpu).", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<int> SeedOption = new("--seed")
    { HelpName = "n", Description = "Seed of the random tables and requests (default 1).", DefaultValueFactory = _ => 1 };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("selftest", "Check the compute backend against exact references (gathers, prioritized selection).")
        {
            DeviceOption, SeedOption,
        };
        command.SetAction(parse => Run(parse.GetValue(DeviceOption)!, parse.GetValue(SeedOption), Console.Out, Console.Error));
        return command;
    }

    private static int Run(string device, int seed, TextWriter output, TextWriter error)
    {
        DeviceSetting setting;
        try
        {
            setting = DeviceSetting.Parse(device, "--device");
        }
        catch (ConfigException)
        {
            return NotADevice(device, error);
        }
        if (setting.Kind == DeviceKind.Cuda)
            return RunOnCuda(setting.CudaOrdinal, seed, output, error);
        if (setting.Kind != DeviceKind.Cpu)
            return NotADevice(device, error);
        var failures = 0;
        foreach (var check in SelfTestChecks.All)
        {
            var (passed, detail) = check.Run(seed);
            output.WriteLine($"{(passed ? "PASS" : "FAIL")} {check.Name}: {detail}");
            if (!passed)
                failures++;
        }
        output.WriteLine(failures == 0 ? "selftest passed on the cpu backend" : $"selftest: {failures} check(s) failed");
        return failures == 0 ? ExitCodes.Ok : Failed;
    }

    private static int RunOnCuda(int ordinal, int seed, TextWriter output, TextWriter error)
    {
        using var backend = CudaBackend.TryCreate(ordinal, out var description);
        if (backend is null)
        {
            error.WriteLine($"gear selftest: cuda:{ordinal} cannot be used: {description}");
            return Failed;
        }
        output.WriteLine($"device {description}; reference: the cpu backend, seed {seed}");
        IReadOnlyList<BackendComparisonResult> results;
        try
        {
            results = BackendComparison.Run(backend, seed);
        }
        catch (CudaException e)
        {
            error.WriteLine($"gear selftest: {backend.Name} failed during the checks: {e.Message}");
            return Failed;
        }
        var width = results.Max(r => r.Name.Length);
        output.WriteLine($"{"check".PadRight(width)} {"result",-6} detail");
        foreach (var result in results)
            output.WriteLine($"{result.Name.PadRight(width)} {(result.Passed ? "PASS" : "FAIL"),-6} {result.Detail}");
        var failures = results.Count(r => !r.Passed);
        output.WriteLine(failures == 0 ? $"selftest passed on {backend.Name}" : $"selftest: {failures} check(s) failed on {backend.Name}");
        return failures == 0 ? ExitCodes.Ok : Failed;
    }

    private static int NotADevice(string? device, TextWriter error)
    {
        error.WriteLine($"gear selftest: --device '{device}' is not one of cpu, cuda, cuda:N");
        return ExitCodes.InvalidConfiguration;
    }
}
