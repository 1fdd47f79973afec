namespace Gear.Protocol.DataPlane;

/// <summary>What a data-plane frame carries.</summary>
public enum FrameKind : ushort
{
    /// <summary>Server to learner: one gathered batch (header, per-window metadata, columns, mask).</summary>
    Batch = 1,

    /// <summary>Server to learner: the stream ended; status 0 is a normal end, otherwise a gRPC status code and message.</summary>
    End = 2,

    /// <summary>Learner to server, first frame: the session token and the initial credits.</summary>
    Hello = 3,

    /// <summary>Learner to server: more credits (batches the server may gather and send).</summary>
    Credit = 4,
}
