using Gear.Core.Compute.Cpu;
using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

/// <summary>InsertRun and RemoveRun leave every selector exactly as the same calls one by one would.</summary>
[TestClass]
public sealed class SelectorBatchTests
{
    [TestMethod]
    public void BatchedAndSingleCallsLeaveTheSameState()
    {
        foreach (var kind in Enum.GetValues<SelectorKind>())
        {
            using var backend = new CpuBackend();
            var batched = ItemSelectors.Create(kind, 512, 0.6, backend);
            var single = ItemSelectors.Create(kind, 512, 0.6, backend);
            var random = new Random(3);
            var held = new List<int>();
            for (var round = 0; round < 20; round++)
            {
                // A page of step items in (a run of free slots), then a run of held ones out.
                var start = random.Next(0, 448);
                var run = Enumerable.Range(start, random.Next(1, 64)).TakeWhile(s => !held.Contains(s)).ToArray();
                var priorities = run.Select(_ => Math.Round(random.NextDouble() * 4, 1)).ToArray();
                batched.InsertRun(start, priorities);
                for (var i = 0; i < run.Length; i++)
                    single.Insert(run[i], priorities[i]);
                held.AddRange(run);

                if (held.Count == 0)
                    continue;
                var from = held[random.Next(held.Count)];
                var victims = Enumerable.Range(from, random.Next(1, 40)).TakeWhile(held.Contains).ToArray();
                batched.RemoveRun(from, victims.Length);
                foreach (var victim in victims)
                    single.Remove(victim);
                held.RemoveAll(victims.Contains);

                Assert.AreEqual(single.Count, batched.Count, $"{kind}");
                if (held.Count == 0)
                    continue;
                var uniforms = Enumerable.Range(0, 16).Select(_ => random.NextDouble()).ToArray();
                var (slotsA, probabilitiesA) = Select(batched, uniforms);
                var (slotsB, probabilitiesB) = Select(single, uniforms);
                CollectionAssert.AreEqual(slotsB, slotsA, $"{kind}, round {round}");
                for (var i = 0; i < uniforms.Length; i++)
                    Assert.AreEqual(probabilitiesB[i], probabilitiesA[i], 1e-12, $"{kind}");
            }
            (batched as IDisposable)?.Dispose();
            (single as IDisposable)?.Dispose();
        }
    }

    private static (int[] Slots, double[] Probabilities) Select(IItemSelector selector, double[] uniforms)
    {
        var slots = new int[uniforms.Length];
        var probabilities = new double[uniforms.Length];
        selector.Select(uniforms, slots, probabilities);
        return (slots, probabilities);
    }
}
