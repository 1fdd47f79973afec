using System.Net.Sockets;
using Gear.Server.Configuration;
using Microsoft.AspNetCore.Connections;

namespace Gear.Server.Hosting;

/// <summary>
/// Turns "cannot bind" into one clear line that names the listener ("gRPC address 127.0.0.1:50051 is already in
/// use"). A probe before Kestrel starts catches the common case without Kestrel logging a critical error with
/// a stack trace; <see cref="Describe"/> covers the race where the port is taken between probe and bind.
/// </summary>
public static class ListenerBindFailure
{
    /// <summary>A listener by display name ("gRPC", "admin") and address.</summary>
    public readonly record struct Listener(string Name, ListenAddress Address);

    /// <summary>Tries to bind each listener's address and releases it at once.</summary>
    /// <returns>The message for the first that cannot be bound, or null when all can.</returns>
    public static string? Probe(IEnumerable<Listener> listeners)
    {
        foreach (var listener in listeners)
        {
            if (listener.Address.Port == 0)
                continue; // the system picks a free port: nothing to probe
            using var socket = new Socket(listener.Address.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(listener.Address.EndPoint);
                socket.Listen();
            }
            catch (SocketException e)
            {
                return Message(listener, e.SocketErrorCode == SocketError.AddressAlreadyInUse, e.Message);
            }
        }
        return null;
    }

    /// <summary>The message for an exception Kestrel threw at start, or null if it is not a bind failure.</summary>
    public static string? Describe(Exception exception, IEnumerable<Listener> listeners)
    {
        var inUse = Find<AddressInUseException>(exception) is not null;
        var socket = Find<SocketException>(exception);
        if (!inUse && socket is null && exception is not IOException)
            return null;

        // Kestrel names the address in its message ("Failed to bind to address http://127.0.0.1:50051: ...").
        var all = listeners.ToArray();
        foreach (var listener in all)
            if (exception.Message.Contains(listener.Address.ToString(), StringComparison.Ordinal))
                return Message(listener, inUse, socket?.Message ?? exception.Message);
        return inUse
            ? $"an address is already in use ({string.Join(", ", all.Select(l => $"{l.Name} {l.Address}"))}): {exception.Message}"
            : null;
    }

    /// <summary>The message for a listener gear binds itself (the data plane) that could not be bound.</summary>
    public static string Describe(SocketException exception, Listener listener) =>
        Message(listener, exception.SocketErrorCode == SocketError.AddressAlreadyInUse, exception.Message);

    private static string Message(Listener listener, bool inUse, string detail) => inUse
        ? $"{listener.Name} address {listener.Address} is already in use; stop the other process or choose another port"
        : $"cannot listen on {listener.Name} address {listener.Address}: {detail}";

    private static T? Find<T>(Exception exception) where T : Exception
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
            if (e is T match)
                return match;
        return null;
    }
}
