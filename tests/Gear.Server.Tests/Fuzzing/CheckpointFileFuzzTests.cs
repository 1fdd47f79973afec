using System.Security.Cryptography;
using Gear.Core.Compute.Cpu;
using Gear.Core.Tables;
using Gear.Server.Checkpoints;
using Gear.Server.Tests.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Mutated checkpoint files. A snapshot either loads whole, into a table whose sizes add up and that samples,
/// or is refused with an <see cref="InvalidDataException"/>; a checkpoint directory with a mutated file is
/// skipped for the previous one, never loaded in part.
/// </summary>
[TestClass]
public sealed class CheckpointFileFuzzTests
{
    private static CpuBackend _backend = null!;
    private static byte[][] _snapshots = null!;

    [ClassInitialize]
    public static void WriteSeeds(TestContext _)
    {
        _backend = new CpuBackend();
        _snapshots = SeedTables.Specs("ckpt").Select(spec =>
        {
            using var table = SeedTables.Filled(spec, _backend, trajectories: 12);
            using var stream = new MemoryStream();
            table.WriteSnapshot(stream);
            return stream.ToArray();
        }).ToArray();
    }

    [ClassCleanup]
    public static void Release() => _backend.Dispose();

    /// <summary>
    /// Mutations that keep the checksum matching reach the snapshot parser itself (otherwise the checksum
    /// refuses almost everything first); half the inputs are re-hashed after mutation.
    /// </summary>
    [TestMethod]
    public void MutatedSnapshotsLoadWholeOrAreRefusedAsInvalidData()
    {
        FuzzCampaign.Run("checkpoint snapshots", FuzzBudget.For(defaultInputs: 2000, defaultSeed: 43), (mutator, i) =>
        {
            var rehash = i % 2 == 1;
            var seed = _snapshots[i / 2 % _snapshots.Length];
            var bytes = rehash ? Rehashed(mutator.Mutate(seed.AsSpan(0, seed.Length - TableSnapshot.ChecksumBytes))) : mutator.Mutate(seed, _snapshots);
            return LoadOutcome(bytes);
        });
    }

    [TestMethod]
    public async Task RestoreSkipsACheckpointWithAMutatedFileForThePreviousOne()
    {
        using var temp = new TempDirectory();
        var directory = temp.Path;
        var store = new CheckpointStore(directory, keep: 2, NullLogger.Instance);
        var tables = SeedTables.Specs("restore").Select(spec => SeedTables.Filled(spec, _backend, trajectories: 8)).ToArray();
        var older = (await store.WriteAsync(tables)).Path;
        var newest = (await store.WriteAsync(tables)).Path;
        foreach (var table in tables)
            table.Dispose();
        var files = Directory.GetFiles(newest).Order(StringComparer.Ordinal).ToArray();
        var originals = files.Select(File.ReadAllBytes).ToArray();

        FuzzCampaign.Run("checkpoint restore", FuzzBudget.For(defaultInputs: 200, defaultSeed: 47), (mutator, i) =>
        {
            var target = i % files.Length;
            File.WriteAllBytes(files[target], mutator.Mutate(originals[target], originals));
            try
            {
                var restored = store.RestoreNewest(_backend);
                try
                {
                    if (restored is null)
                        return "the intact older checkpoint was not restored";
                    if (restored.Path != older && restored.Path != newest)
                        return $"restored {restored.Path}, which was never written";
                    if (restored.Tables.Count != restored.Manifest.Tables.Count)
                        return $"partial load: {restored.Tables.Count} of {restored.Manifest.Tables.Count} tables";
                    return restored.Tables.Select(SeedTables.Violation).FirstOrDefault(v => v is not null);
                }
                finally
                {
                    foreach (var table in restored?.Tables ?? [])
                        table.Dispose();
                }
            }
            catch (Exception e)
            {
                return FuzzCampaign.Describe(e);
            }
            finally
            {
                File.WriteAllBytes(files[target], originals[target]);
            }
        });
    }

    /// <summary>What loading <paramref name="bytes"/> as a snapshot did: null when it was a defined outcome.</summary>
    internal static string? LoadOutcome(byte[] bytes)
    {
        try
        {
            using var table = Table.ReadSnapshot(new MemoryStream(bytes), _backend);
            // A mutation can leave the checksum matching (it undid itself, or it was re-hashed): only then may it load.
            var checksumMatches = bytes.Length >= TableSnapshot.ChecksumBytes
                && Rehashed(bytes[..^TableSnapshot.ChecksumBytes]).AsSpan().SequenceEqual(bytes);
            return checksumMatches ? SeedTables.Violation(table) : "a snapshot whose checksum no longer matched was loaded";
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (Exception e)
        {
            return FuzzCampaign.Describe(e);
        }
    }

    /// <summary><paramref name="body"/> with a SHA-256 over it appended, as the snapshot writer does.</summary>
    internal static byte[] Rehashed(byte[] body) => [.. body, .. SHA256.HashData(body)];
}
