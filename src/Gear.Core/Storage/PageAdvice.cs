using System.Runtime.InteropServices;

namespace Gear.Core.Storage;

/// <summary>
/// Advice to the Linux kernel about ranges of memory (<c>madvise</c>); elsewhere it does nothing. Advice only:
/// nothing breaks when the kernel ignores it.
/// </summary>
public static unsafe partial class PageAdvice
{
    private const int DontNeed = 4;  // MADV_DONTNEED in <sys/mman.h>
    private const int HugePage = 14; // MADV_HUGEPAGE

    /// <summary>Offers a range (aligned to the huge-page size) to transparent huge pages; without THP it changes nothing.</summary>
    public static void UseHugePages(void* address, nuint length)
    {
        if (OperatingSystem.IsLinux())
            _ = Madvise(address, length, HugePage);
    }

    /// <summary>
    /// Gives the physical pages wholly inside [<paramref name="address"/>, + <paramref name="length"/>) back to the
    /// OS; they read as zeros when next touched. Pages the range only partly covers are left alone, so a range
    /// inside a larger allocation (a managed array, say) never disturbs its neighbours.
    /// </summary>
    public static void ReleaseWholePages(void* address, nuint length)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var pageMask = (nuint)Environment.SystemPageSize - 1;
        var first = ((nuint)address + pageMask) & ~pageMask;
        var end = ((nuint)address + length) & ~pageMask;
        if (end > first)
            _ = Madvise((void*)first, end - first, DontNeed);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
