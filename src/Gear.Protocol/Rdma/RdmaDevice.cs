using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// An opened RDMA device with an active port and a protection domain: what a queue pair and registered
/// memory need. <see cref="TryOpen"/> picks the first device whose port 1 is active (each port of a modern
/// adapter is a device of its own) and says why when none is.
/// </summary>
public sealed unsafe class RdmaDevice : IDisposable
{
    /// <summary>The port used: 1, the first port of every device.</summary>
    public const byte PortNumber = 1;

    /// <summary>The GID table entry used on RoCE ports (0: the port's default GID).</summary>
    public const int GidIndex = 0;

    private IbvPd* _pd;
    private IbvContext* _context;

    private RdmaDevice(IVerbs verbs, string name, IbvContext* context, IbvPd* pd, IbvPortAttr port, IbvGid gid)
    {
        Verbs = verbs;
        Name = name;
        _context = context;
        _pd = pd;
        Port = port;
        Gid = gid;
    }

    /// <summary>The verbs implementation the device was opened with.</summary>
    public IVerbs Verbs { get; }

    /// <summary>The device's name, for example mlx5_0.</summary>
    public string Name { get; }

    /// <summary>The open context.</summary>
    public IbvContext* Context => _context;

    /// <summary>The protection domain every queue pair and region of this device belongs to.</summary>
    public IbvPd* ProtectionDomain => _pd;

    /// <summary>The port's attributes (LID, MTU, link layer) when it was opened.</summary>
    public IbvPortAttr Port { get; }

    /// <summary>The port's GID at <see cref="GidIndex"/> (its address on RoCE).</summary>
    public IbvGid Gid { get; }

    /// <summary>Whether peers are addressed by GID (RoCE, Ethernet link layer) rather than by LID (InfiniBand).</summary>
    public bool AddressedByGid => Port.LinkLayer == IbvLinkLayer.Ethernet;

    /// <summary>
    /// As <see cref="TryOpen"/> on <paramref name="verbs"/>, or on libibverbs where it is installed when that is
    /// null. Never throws: a library that will not load or a device that refuses is the reason.
    /// </summary>
    public static RdmaDevice? TryOpenAny(IVerbs? verbs, out string reason)
    {
        reason = "";
        verbs ??= LibibverbsVerbs.TryLoad(out reason);
        if (verbs is null)
            return null;
        try
        {
            return TryOpen(verbs, out reason);
        }
        catch (VerbsException e)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>The first device with an active port, or null and the reason none is usable (logged and shown in server info).</summary>
    public static RdmaDevice? TryOpen(IVerbs verbs, out string reason)
    {
        IbvDevice** list;
        int count;
        try
        {
            list = verbs.GetDeviceList(out count);
        }
        catch (VerbsException e)
        {
            // ENOSYS where the kernel has no RDMA support at all: the same as no device, with the detail.
            reason = $"no RDMA device ({e.Message})";
            return null;
        }
        try
        {
            if (count == 0)
            {
                reason = "no RDMA device";
                return null;
            }
            var refused = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var name = verbs.GetDeviceName(list[i]);
                try
                {
                    if (Open(verbs, list[i], name, out var why) is { } device)
                    {
                        reason = $"rdma device {name} port {PortNumber} ({(device.AddressedByGid ? "RoCE" : "InfiniBand")})";
                        return device;
                    }
                    refused.Add($"{name}: {why}");
                }
                catch (VerbsException e)
                {
                    refused.Add($"{name}: {e.Message}");
                }
            }
            reason = "no usable RDMA device (" + string.Join("; ", refused) + ")";
            return null;
        }
        finally
        {
            verbs.FreeDeviceList(list);
        }
    }

    private static RdmaDevice? Open(IVerbs verbs, IbvDevice* handle, string name, out string reason)
    {
        var context = verbs.OpenDevice(handle);
        try
        {
            var port = verbs.QueryPort(context, PortNumber);
            if (port.State != IbvPortState.Active)
            {
                reason = $"port {PortNumber} is not active (state {(int)port.State})";
                verbs.CloseDevice(context);
                return null;
            }
            var gid = verbs.QueryGid(context, PortNumber, GidIndex);
            if (port.LinkLayer == IbvLinkLayer.Ethernet && gid.IsZero)
            {
                reason = $"RoCE port {PortNumber} has no GID at index {GidIndex} (no IP address on its interface?)";
                verbs.CloseDevice(context);
                return null;
            }
            var pd = verbs.AllocPd(context);
            reason = "";
            return new RdmaDevice(verbs, name, context, pd, port, gid);
        }
        catch
        {
            verbs.CloseDevice(context);
            throw;
        }
    }

    /// <summary>Frees the protection domain and closes the device (its queue pairs and regions must be gone).</summary>
    public void Dispose()
    {
        if (_context == null)
            return;
        Verbs.DeallocPd(_pd);
        Verbs.CloseDevice(_context);
        _pd = null;
        _context = null;
    }
}
