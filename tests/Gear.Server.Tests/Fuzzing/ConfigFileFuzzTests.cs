using System.Text;
using Gear.Server.Configuration;
using Gear.Server.Tests.Configuration;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Mutated config files through <see cref="ConfigFileReader"/> and <see cref="ServerConfigValidator"/>: each is
/// accepted or refused with a <see cref="ConfigException"/> (which <c>gear serve</c> prints as a clear error);
/// any other exception would reach the user as a crash.
/// </summary>
[TestClass]
public sealed class ConfigFileFuzzTests
{
    /// <summary>A config that touches every section, so mutations reach every reader.</summary>
    private const string EverySection = """
        // every section once
        {
          "listen": { "grpc": "127.0.0.1:6000", "admin": "[::1]:6001", "dataPlane": "localhost:6002" },
          "device": "cuda:0",
          "logLevel": "warning",
          "limits": { "maxReceiveMessageBytes": 1048576, "maxSendMessageBytes": 2097152, "maxConcurrentStreamsPerConnection": 7, "maxConnections": 50, "requestHeadersTimeoutSeconds": 2.5 },
          "shutdownDrainSeconds": 1.5,
          "tokens": { "s3cret-a": "admin", "s3cret-b": "learner" },
          "tokenFile": "tokens.txt",
          "tls": { "certificate": "cert.pem", "key": "key.pem" },
          "checkpoints": { "directory": "ckpt", "intervalSeconds": 60, "keep": 3 },
          "writeAheadLog": { "directory": "wal", "fsync": "interval", "fsyncIntervalMs": 20 },
          "tables": [
            {
              "name": "t1",
              "columns": [ { "name": "obs", "dtype": "DTYPE_U8", "shape": [4, 84, 84] }, { "name": "r", "dtype": "DTYPE_F32" } ],
              "host_capacity_bytes": "1048576",
              "maxTrajectories": 10,
              "sampler": "SELECTOR_PRIORITIZED",
              "priorityExponent": 0.6,
              "rateLimiter": { "sampleToInsertRatio": { "samplesPerInsert": 4, "minSizeToSample": 100, "errorBuffer": 10 } },
              "writeAheadLog": true
            }
          ]
        }
        """;

    [TestMethod]
    public void MutatedConfigsAreAcceptedOrRefusedWithAConfigException()
    {
        using var directory = new TempDirectory();
        directory.Write("tokens.txt", "s3cret-c actor\n");
        byte[][] seeds = [Encoding.UTF8.GetBytes(DefaultConfig.Json), Encoding.UTF8.GetBytes(EverySection)];

        FuzzCampaign.Run("config files", FuzzBudget.For(defaultInputs: 3000, defaultSeed: 41), (mutator, i) =>
        {
            var text = Encoding.UTF8.GetString(mutator.Mutate(seeds[i % seeds.Length], seeds));
            try
            {
                ServerConfigValidator.Validate(ConfigFileReader.Read(text, "fuzzed config", directory.Path));
                return null;
            }
            catch (ConfigException)
            {
                return null;
            }
            catch (Exception e)
            {
                return $"{FuzzCampaign.Describe(e)}\n  config: {text}";
            }
        });
    }
}
