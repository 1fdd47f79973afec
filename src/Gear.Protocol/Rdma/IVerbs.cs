using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// The libibverbs control-path calls the transport makes: devices, protection domains, memory registration,
/// completion queues and queue pairs. <see cref="LibibverbsVerbs"/> calls the real library;
/// <see cref="Loopback.LoopbackVerbs"/> is an in-process device for machines without RDMA hardware. The data
/// path (post send, post receive, poll) is not here: it goes through the context's ops table
/// (<see cref="VerbsOps"/>) for every implementation, as verbs.h's inline functions do. Failures throw
/// <see cref="VerbsException"/> naming the call.
/// </summary>
public unsafe interface IVerbs
{
    /// <summary>The devices present (<c>ibv_get_device_list</c>); free the list with <see cref="FreeDeviceList"/>.</summary>
    IbvDevice** GetDeviceList(out int count);

    /// <summary><c>ibv_free_device_list</c>.</summary>
    void FreeDeviceList(IbvDevice** list);

    /// <summary><c>ibv_get_device_name</c>.</summary>
    string GetDeviceName(IbvDevice* device);

    /// <summary><c>ibv_open_device</c>.</summary>
    IbvContext* OpenDevice(IbvDevice* device);

    /// <summary><c>ibv_close_device</c>.</summary>
    void CloseDevice(IbvContext* context);

    /// <summary><c>ibv_query_port</c>.</summary>
    IbvPortAttr QueryPort(IbvContext* context, byte port);

    /// <summary><c>ibv_query_gid</c>.</summary>
    IbvGid QueryGid(IbvContext* context, byte port, int index);

    /// <summary><c>ibv_alloc_pd</c>.</summary>
    IbvPd* AllocPd(IbvContext* context);

    /// <summary><c>ibv_dealloc_pd</c>.</summary>
    void DeallocPd(IbvPd* pd);

    /// <summary><c>ibv_reg_mr</c>.</summary>
    IbvMr* RegMr(IbvPd* pd, void* address, nuint length, IbvAccessFlags access);

    /// <summary><c>ibv_dereg_mr</c>.</summary>
    void DeregMr(IbvMr* mr);

    /// <summary><c>ibv_create_cq</c> without a completion channel.</summary>
    IbvCq* CreateCq(IbvContext* context, int entries);

    /// <summary><c>ibv_destroy_cq</c>.</summary>
    void DestroyCq(IbvCq* cq);

    /// <summary><c>ibv_create_qp</c>.</summary>
    IbvQp* CreateQp(IbvPd* pd, in IbvQpInitAttr attributes);

    /// <summary><c>ibv_modify_qp</c>.</summary>
    void ModifyQp(IbvQp* qp, in IbvQpAttr attributes, IbvQpAttrMask mask);

    /// <summary><c>ibv_destroy_qp</c>.</summary>
    void DestroyQp(IbvQp* qp);
}
