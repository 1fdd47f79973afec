namespace Gear.Protocol.DataPlane;

/// <summary>Bytes on a data-plane connection that are not a well-formed frame; the connection is closed.</summary>
public sealed class DataPlaneFrameException(string message) : IOException(message);
