using System.Reflection;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Where each <see cref="Kernel"/> lives: its source file in kernels/ (embedded in Gear.Core as a resource, so a
/// published binary carries it) and its symbol name.
/// </summary>
internal static class KernelCatalog
{
    private static readonly (string File, string Symbol)[] Entries =
    [
        ("gather.cu", "gear_gather"),
        ("sumtree.cu", "gear_tree_claim"),
        ("sumtree.cu", "gear_tree_write_leaves"),
        ("sumtree.cu", "gear_tree_release"),
        ("sumtree.cu", "gear_tree_update_level"),
        ("sumtree.cu", "gear_tree_sample"),
        ("selection.cu", "gear_weights_partial_min"),
        ("selection.cu", "gear_weights_min"),
        ("selection.cu", "gear_weights"),
        ("selection.cu", "gear_uniform_pick"),
        ("selection.cu", "gear_topk_histogram"),
        ("selection.cu", "gear_topk_merge"),
        ("selection.cu", "gear_topk_narrow"),
        ("selection.cu", "gear_topk_collect"),
        ("selection.cu", "gear_topk_rank"),
        ("selection.cu", "gear_scatter"),
    ];

    /// <summary>The kernel source files, as embedded (see Gear.Core.csproj); declared after <see cref="Entries"/>, which it reads.</summary>
    public static readonly string[] Files = Entries.Select(entry => entry.File).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>The file that defines <paramref name="kernel"/>.</summary>
    public static string FileOf(Kernel kernel) => Entries[(int)kernel].File;

    /// <summary>The symbol name of <paramref name="kernel"/>.</summary>
    public static string Symbol(Kernel kernel) => Entries[(int)kernel].Symbol;

    /// <summary>Number of kernels.</summary>
    public static int Count => Entries.Length;

    /// <summary>The source text of <paramref name="file"/>.</summary>
    public static string Source(string file)
    {
        using var stream = typeof(KernelCatalog).Assembly.GetManifestResourceStream(ResourceName(file))
            ?? throw new InvalidOperationException($"kernel source {file} is not embedded in {typeof(KernelCatalog).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string ResourceName(string file) => "Gear.Kernels." + file;
}
