using System.Diagnostics;
using System.Text.Json;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Deploy;

/// <summary>
/// The deployment files checked as far as this machine allows (no cluster, no image registry): the manifests
/// parse, carry the ports, probes, config mount and token secret the server relies on, the shipped config is
/// one `gear serve --check` accepts, and the systemd unit has what a graceful stop and pinned memory need.
/// </summary>
[TestClass]
public sealed class DeployManifestTests
{
    private static string Deploy => Path.Combine(RepositoryRoot(), "deploy");

    [TestMethod]
    public void StatefulSetServesEveryPortWithProbesConfigAndTokens()
    {
        var set = Single(LoadYaml("kubernetes/statefulset.yaml"), "StatefulSet");
        var spec = set.GetProperty("spec");
        Assert.AreEqual("gear-replay", spec.GetProperty("serviceName").GetString(), "pods get DNS names through the headless service");
        var container = spec.GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        var ports = container.GetProperty("ports").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("containerPort").GetInt32());
        CollectionAssert.AreEquivalent(new[] { "grpc", "admin", "data-plane" }, ports.Keys.ToArray());

        var config = ReadConfig();
        Assert.AreEqual(ports["grpc"], Port(config, "grpc"));
        Assert.AreEqual(ports["admin"], Port(config, "admin"));
        Assert.AreEqual(ports["data-plane"], Port(config, "dataPlane"));

        Assert.AreEqual("/healthz", container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.AreEqual("/readyz", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.AreEqual("admin", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("port").GetString());
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()).ToArray();
        CollectionAssert.AreEqual(new[] { "serve", "--config", "/etc/gear/config.json" }, args);
        var mounts = container.GetProperty("volumeMounts").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("mountPath").GetString());
        Assert.AreEqual("/etc/gear", mounts["config"]);
        Assert.AreEqual("gear-tokens", container.GetProperty("envFrom")[0].GetProperty("secretRef").GetProperty("name").GetString());
        var requests = container.GetProperty("resources").GetProperty("requests");
        Assert.IsTrue(requests.TryGetProperty("nvidia.com/gpu", out _), "a GPU is requested");
        Assert.AreEqual("state", spec.GetProperty("volumeClaimTemplates")[0].GetProperty("metadata").GetProperty("name").GetString());
        Assert.IsTrue(mounts.ContainsKey("state"), "the persistent volume is mounted");
        foreach (var durable in new[] { "checkpoints", "writeAheadLog" })
            StringAssert.StartsWith(config.GetProperty(durable).GetProperty("directory").GetString(), mounts["state"] + "/",
                $"{durable} live on the persistent volume");
        Assert.IsTrue(spec.GetProperty("template").GetProperty("spec").GetProperty("terminationGracePeriodSeconds").GetInt32()
            > config.GetProperty("shutdownDrainSeconds").GetInt32(), "the pod outlives the server's drain");
    }

    [TestMethod]
    public void HeadlessServiceSelectsTheShardsAndTheSecretCarriesTokens()
    {
        var service = Single(LoadYaml("kubernetes/service.yaml"), "Service");
        Assert.AreEqual("None", service.GetProperty("spec").GetProperty("clusterIP").GetString(), "headless: DNS resolves to every shard");
        var set = Single(LoadYaml("kubernetes/statefulset.yaml"), "StatefulSet");
        var labels = set.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels");
        foreach (var selector in service.GetProperty("spec").GetProperty("selector").EnumerateObject())
            Assert.AreEqual(selector.Value.GetString(), labels.GetProperty(selector.Name).GetString());

        var secret = Single(LoadYaml("kubernetes/secret.yaml"), "Secret");
        var tokens = secret.GetProperty("stringData").GetProperty("GEAR_TOKENS").GetString()!;
        CollectionAssert.AreEquivalent(new[] { "admin", "actor", "learner" }, tokens.Split(',').Select(t => t.Split('=')[1]).ToArray());

        var kustomization = LoadYaml("kustomization.yaml")[0];
        var resources = kustomization.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToArray();
        foreach (var resource in resources)
            Assert.IsTrue(File.Exists(Path.Combine(Deploy, resource)), resource);
        var generated = kustomization.GetProperty("configMapGenerator")[0];
        Assert.AreEqual("gear-config", generated.GetProperty("name").GetString());
        Assert.AreEqual("config.json=config/container.json", generated.GetProperty("files")[0].GetString());
    }

    [TestMethod]
    public async Task ShippedConfigIsOneGearServeAccepts()
    {
        using var gear = GearProcess.StartServe(["--config", Path.Combine(Deploy, "config", "container.json"), "--check"],
            new Dictionary<string, string> { ["GEAR_TOKENS"] = "deploy-test=admin" });

        Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), gear.Stderr);
        StringAssert.Contains(gear.Stdout, "configuration is valid");
    }

    [TestMethod]
    public void SystemdUnitStopsGracefullyAndMayLockMemory()
    {
        var unit = File.ReadAllLines(Path.Combine(Deploy, "systemd", "gear.service"))
            .Where(line => line.Contains('=') && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToLookup(pair => pair[0], pair => pair[1]);
        StringAssert.StartsWith(unit["ExecStart"].Single(), "/opt/gear/gear serve --config ");
        Assert.AreEqual("SIGTERM", unit["KillSignal"].Single());
        Assert.AreEqual("infinity", unit["LimitMEMLOCK"].Single());
        Assert.AreEqual("/etc/gear/tokens.env", unit["EnvironmentFile"].Single());
    }

    private static int Port(JsonElement config, string listener) =>
        int.Parse(config.GetProperty("listen").GetProperty(listener).GetString()!.Split(':')[^1]);

    private static JsonElement ReadConfig() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "config", "container.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement;

    private static JsonElement Single(IReadOnlyList<JsonElement> documents, string kind) =>
        documents.Single(d => d.GetProperty("kind").GetString() == kind);

    /// <summary>Parses a YAML file with Debian's python3-yaml (installed by test.sh) into JSON documents.</summary>
    private static IReadOnlyList<JsonElement> LoadYaml(string relativePath)
    {
        const string python = "/usr/bin/python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import sys, yaml, json; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None], sys.stdout)");
        start.ArgumentList.Add(Path.Combine(Deploy, relativePath));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && error.Contains("No module named 'yaml'"))
            Assert.Inconclusive("python3-yaml is not installed; ./test.sh installs it");
        Assert.AreEqual(0, process.ExitCode, $"{relativePath} does not parse as YAML: {error}");
        return JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gear.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (Gear.sln) is not above the test assembly");
    }
}
