using System.Runtime.InteropServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// <see cref="IVerbs"/> over rdma-core's <c>libibverbs.so.1</c>. The library is probed with
/// <see cref="NativeLibrary.TryLoad(string, out nint)"/> first (<see cref="TryLoad"/>), so a machine without
/// it gets a reason, not a <see cref="DllNotFoundException"/>; the imports bind lazily on first call.
/// </summary>
public sealed unsafe partial class LibibverbsVerbs : IVerbs
{
    private const string Library = "libibverbs.so.1";

    private LibibverbsVerbs()
    {
    }

    // Probed once per process: the answer does not change, and each successful probe would take another reference on the library.
    private static readonly Lazy<LibibverbsVerbs?> Loaded = new(() => NativeLibrary.TryLoad(Library, out _) ? new LibibverbsVerbs() : null);

    /// <summary>The bindings when libibverbs can be loaded; otherwise null and why.</summary>
    public static LibibverbsVerbs? TryLoad(out string reason)
    {
        reason = Loaded.Value is null ? $"{Library} is not installed (install rdma-core's libibverbs)" : "";
        return Loaded.Value;
    }

    /// <inheritdoc/>
    public IbvDevice** GetDeviceList(out int count)
    {
        int found;
        var list = ibv_get_device_list(&found);
        if (list == null)
            throw VerbsException.FromErrno("ibv_get_device_list", Marshal.GetLastPInvokeError());
        count = found;
        return list;
    }

    /// <inheritdoc/>
    public void FreeDeviceList(IbvDevice** list) => ibv_free_device_list(list);

    /// <inheritdoc/>
    public string GetDeviceName(IbvDevice* device) => Marshal.PtrToStringUTF8(ibv_get_device_name(device)) ?? "?";

    /// <inheritdoc/>
    public IbvContext* OpenDevice(IbvDevice* device) => NotNull(ibv_open_device(device), "ibv_open_device");

    /// <inheritdoc/>
    public void CloseDevice(IbvContext* context) => Check(ibv_close_device(context), "ibv_close_device");

    /// <inheritdoc/>
    public IbvPortAttr QueryPort(IbvContext* context, byte port)
    {
        // verbs.h's inline ibv_query_port zeroes the full struct and passes it to the exported function, which
        // fills the (compatible) prefix it knows; the same is done here.
        IbvPortAttr attributes = default;
        Check(ibv_query_port(context, port, &attributes), "ibv_query_port");
        return attributes;
    }

    /// <inheritdoc/>
    public IbvGid QueryGid(IbvContext* context, byte port, int index)
    {
        IbvGid gid = default;
        Check(ibv_query_gid(context, port, index, &gid), "ibv_query_gid");
        return gid;
    }

    /// <inheritdoc/>
    public IbvPd* AllocPd(IbvContext* context) => NotNull(ibv_alloc_pd(context), "ibv_alloc_pd");

    /// <inheritdoc/>
    public void DeallocPd(IbvPd* pd) => Check(ibv_dealloc_pd(pd), "ibv_dealloc_pd");

    /// <inheritdoc/>
    public IbvMr* RegMr(IbvPd* pd, void* address, nuint length, IbvAccessFlags access) =>
        NotNull(ibv_reg_mr(pd, address, length, (int)access), "ibv_reg_mr");

    /// <inheritdoc/>
    public void DeregMr(IbvMr* mr) => Check(ibv_dereg_mr(mr), "ibv_dereg_mr");

    /// <inheritdoc/>
    public IbvCq* CreateCq(IbvContext* context, int entries) => NotNull(ibv_create_cq(context, entries, 0, 0, 0), "ibv_create_cq");

    /// <inheritdoc/>
    public void DestroyCq(IbvCq* cq) => Check(ibv_destroy_cq(cq), "ibv_destroy_cq");

    /// <inheritdoc/>
    public IbvQp* CreateQp(IbvPd* pd, in IbvQpInitAttr attributes)
    {
        // ibv_create_qp writes the capabilities it granted back into the struct: give it a copy.
        var copy = attributes;
        return NotNull(ibv_create_qp(pd, &copy), "ibv_create_qp");
    }

    /// <inheritdoc/>
    public void ModifyQp(IbvQp* qp, in IbvQpAttr attributes, IbvQpAttrMask mask)
    {
        var copy = attributes;
        Check(ibv_modify_qp(qp, &copy, (int)mask), "ibv_modify_qp");
    }

    /// <inheritdoc/>
    public void DestroyQp(IbvQp* qp) => Check(ibv_destroy_qp(qp), "ibv_destroy_qp");

    // Calls that return an int return the errno itself (0: success); calls that return a pointer set errno.
    private static void Check(int result, string call)
    {
        if (result != 0)
            throw VerbsException.FromErrno(call, result < 0 ? -result : result);
    }

    private static T* NotNull<T>(T* result, string call) where T : unmanaged =>
        result != null ? result : throw VerbsException.FromErrno(call, Marshal.GetLastPInvokeError());

    [LibraryImport(Library, SetLastError = true)]
    private static partial IbvDevice** ibv_get_device_list(int* count);

    [LibraryImport(Library)]
    private static partial void ibv_free_device_list(IbvDevice** list);

    [LibraryImport(Library)]
    private static partial nint ibv_get_device_name(IbvDevice* device);

    [LibraryImport(Library, SetLastError = true)]
    private static partial IbvContext* ibv_open_device(IbvDevice* device);

    [LibraryImport(Library)]
    private static partial int ibv_close_device(IbvContext* context);

    [LibraryImport(Library)]
    private static partial int ibv_query_port(IbvContext* context, byte port, IbvPortAttr* attributes);

    [LibraryImport(Library)]
    private static partial int ibv_query_gid(IbvContext* context, byte port, int index, IbvGid* gid);

    [LibraryImport(Library, SetLastError = true)]
    private static partial IbvPd* ibv_alloc_pd(IbvContext* context);

    [LibraryImport(Library)]
    private static partial int ibv_dealloc_pd(IbvPd* pd);

    [LibraryImport(Library, SetLastError = true)]
    private static partial IbvMr* ibv_reg_mr(IbvPd* pd, void* address, nuint length, int access);

    [LibraryImport(Library)]
    private static partial int ibv_dereg_mr(IbvMr* mr);

    [LibraryImport(Library, SetLastError = true)]
    private static partial IbvCq* ibv_create_cq(IbvContext* context, int entries, nint cqContext, nint channel, int compVector);

    [LibraryImport(Library)]
    private static partial int ibv_destroy_cq(IbvCq* cq);

    [LibraryImport(Library, SetLastError = true)]
    private static partial IbvQp* ibv_create_qp(IbvPd* pd, IbvQpInitAttr* attributes);

    [LibraryImport(Library)]
    private static partial int ibv_modify_qp(IbvQp* qp, IbvQpAttr* attributes, int mask);

    [LibraryImport(Library)]
    private static partial int ibv_destroy_qp(IbvQp* qp);
}
