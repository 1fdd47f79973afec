using System.Runtime.InteropServices;

namespace Gear.Protocol.Rdma.Loopback;

/// <summary>
/// A native verbs struct followed by a handle to the managed object that owns it: the ops-table functions are
/// handed only the native pointer and find their loopback queue pair or completion queue through it.
/// </summary>
internal static unsafe class OwnedNative
{
    /// <summary>A zeroed <typeparamref name="T"/> followed by a handle to <paramref name="owner"/>.</summary>
    public static T* Allocate<T>(object owner) where T : unmanaged
    {
        var native = (T*)NativeMemory.AllocZeroed((nuint)(sizeof(T) + sizeof(nint)));
        *(nint*)(native + 1) = GCHandle.ToIntPtr(GCHandle.Alloc(owner));
        return native;
    }

    /// <summary>The owner of <paramref name="native"/>.</summary>
    public static TOwner Owner<T, TOwner>(T* native) where T : unmanaged where TOwner : class =>
        (TOwner)GCHandle.FromIntPtr(*(nint*)(native + 1)).Target!;

    /// <summary>Frees <paramref name="native"/> and its handle.</summary>
    public static void Free<T>(T* native) where T : unmanaged
    {
        GCHandle.FromIntPtr(*(nint*)(native + 1)).Free();
        NativeMemory.Free(native);
    }
}
