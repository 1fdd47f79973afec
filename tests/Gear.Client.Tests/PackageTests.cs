using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using Gear.Protocol.V1;

namespace Gear.Client.Tests;

/// <summary>
/// Packs Gear.Client into a folder feed and builds a throwaway console project that restores it from there
/// (the registry's other packages through the machine's own sources), then runs it against a live server.
/// The slowest test of the suite (a restore and a build).
/// </summary>
[TestClass]
public sealed class PackageTests
{
    [TestMethod]
    [Timeout(240_000)]
    public async Task PackedClientRestoresBuildsAndTalksToALiveServer()
    {
        var root = RepositoryRoot();
        var configuration = typeof(PackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var work = Directory.CreateTempSubdirectory("gear-client-pack-");
        try
        {
            var feed = Path.Combine(work.FullName, "feed");
            // --no-build: the solution was just built in this configuration, and building again here would race
            // the other test projects' use of the same outputs.
            await RunAsync("dotnet", ["pack", Path.Combine(root, "src", "Gear.Client", "Gear.Client.csproj"), "-c", configuration, "--no-build", "-o", feed, "--nologo"], root);
            var package = Directory.GetFiles(feed, "Gear.Client.*.nupkg").Single(p => !p.EndsWith(".snupkg", StringComparison.Ordinal));
            var version = CheckPackage(package);

            var consumer = Path.Combine(work.FullName, "consumer");
            Directory.CreateDirectory(consumer);
            var userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            // The machine's sources stay (no <clear/>); the feed is added. A private packages folder keeps this
            // Gear.Client out of the user's cache; the user's cache is a fallback so nothing is downloaded again.
            File.WriteAllText(Path.Combine(work.FullName, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(work.FullName, "packages")}" /></config>
                  <packageSources><add key="gear-local-feed" value="{feed}" /></packageSources>
                  <fallbackPackageFolders><add key="user-packages" value="{userPackages}" /></fallbackPackageFolders>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Gear.Client" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
                using Gear.Client;
                using Gear.Protocol.V1;

                using var client = new GearClient(new Uri(args[0]));
                var spec = new TableSpec { Name = "pkg", HostCapacityBytes = 1 << 20, MaxTrajectories = 16, Sampler = Selector.Uniform };
                spec.Columns.Add(new ColumnSpec { Name = "x", Dtype = DType.I32 });
                await client.CreateTableAsync(spec);
                await using (var writer = await client.OpenWriterAsync("pkg"))
                {
                    var trajectory = await writer.BeginTrajectoryAsync();
                    await trajectory.Append("x", 42).CommitStepsAsync();
                    var committed = await trajectory.EndAsync(priority: 1);
                    Console.WriteLine($"committed key {committed.Key}");
                }
                using var batch = await client.SampleAsync(new SampleOptions("pkg") { BatchSize = 1 });
                Console.WriteLine($"sampled {batch.Column<int>("x")[0]}");
                """);
            await RunAsync("dotnet", ["build", consumer, "-c", "Release", "--nologo", "--disable-build-servers", "-nodeReuse:false"], consumer);

            await using var server = await LoopbackServer.StartAsync();
            var output = await RunAsync("dotnet", [Path.Combine(consumer, "bin", "Release", "net10.0", "consumer.dll"), server.Address.ToString()], consumer);
            StringAssert.Contains(output, "committed key");
            StringAssert.Contains(output, "sampled 42");
            Assert.AreEqual(1, server.Tables.Count);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is not a failure.
            }
        }
    }

    /// <summary>Checks the package's contents and metadata; returns its version.</summary>
    private static string CheckPackage(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[] { "README.md", "lib/net10.0/Gear.Client.dll", "lib/net10.0/Gear.Client.xml", "lib/net10.0/Gear.Protocol.dll", "lib/net10.0/Gear.Protocol.xml" })
            Assert.IsTrue(names.Contains(expected), $"the package lacks {expected}; it has {string.Join(", ", names)}");
        using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(nuspecStream);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.AreEqual("Gear.Client", metadata.Element(ns + "id")!.Value);
        Assert.AreEqual("README.md", metadata.Element(ns + "readme")?.Value);
        var repository = metadata.Element(ns + "repository");
        Assert.IsNotNull(repository, "repository metadata (type and commit) is missing");
        Assert.AreEqual(40, repository.Attribute("commit")?.Value.Length, "the repository commit is recorded");
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToArray();
        CollectionAssert.Contains(dependencies, "Google.Protobuf");
        CollectionAssert.DoesNotContain(dependencies, "Gear.Protocol", "Gear.Protocol ships inside the package");
        return metadata.Element(ns + "version")!.Value;
    }

    private static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(fileName == "dotnet" ? Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet" : fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host runs under MSBuild/VSTest; their variables would steer the child build.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout + await stderr;
        Assert.AreEqual(0, process.ExitCode, $"{fileName} {string.Join(' ', start.ArgumentList)} failed:\n{output}");
        return output;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gear.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"no Gear.sln above {AppContext.BaseDirectory}");
    }
}
