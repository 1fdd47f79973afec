using Gear.Core.Compute.Cuda;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// Every kernel compiles on every machine: clang-14 compiles each kernels/*.cu to PTX for sm_70 without the CUDA
/// toolkit (the shim kernels/shim/clang_ptx.h supplies what NVRTC provides implicitly), and the PTX defines every
/// kernel the backend launches. A compile error fails the suite.
/// </summary>
[TestClass]
public sealed class KernelCompileTests
{
    [TestMethod]
    public void EveryKernelFileCompilesToPtxWithClang()
    {
        Clang.Require();
        var files = Directory.GetFiles(Clang.KernelDirectory, "*.cu").Select(Path.GetFileName).Order().ToArray();
        CollectionAssert.AreEquivalent(KernelCatalog.Files, files, "the backend's kernel files and kernels/*.cu differ (embed and list every file)");
        var output = Directory.CreateTempSubdirectory("gear-ptx-");
        try
        {
            foreach (var file in files)
            {
                var ptx = Path.Combine(output.FullName, Path.ChangeExtension(file!, ".ptx"));
                Clang.Run(Clang.C!,
                [
                    "--cuda-device-only", "-nocudainc", "-nocudalib", "--cuda-gpu-arch=sm_70", "-O2", "-S", "-x", "cuda",
                    "-Werror", "-include", Path.Combine(Clang.KernelDirectory, "shim", "clang_ptx.h"),
                    "-o", ptx, Path.Combine(Clang.KernelDirectory, file!),
                ], $"clang-14 PTX compile of {file}");
                var text = File.ReadAllText(ptx);
                for (var k = 0; k < KernelCatalog.Count; k++)
                {
                    var kernel = (Kernel)k;
                    if (KernelCatalog.FileOf(kernel) == file)
                        StringAssert.Contains(text, $".entry {KernelCatalog.Symbol(kernel)}(", $"{file} does not define {KernelCatalog.Symbol(kernel)}");
                }
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void EmbeddedSourcesAreTheKernelFiles()
    {
        foreach (var file in KernelCatalog.Files)
            Assert.AreEqual(File.ReadAllText(Path.Combine(Clang.KernelDirectory, file)), KernelCatalog.Source(file), $"embedded {file} differs from kernels/{file}");
    }
}
