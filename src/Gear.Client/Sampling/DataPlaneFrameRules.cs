using Gear.Protocol.DataPlane;
using Gear.Protocol.Grpc;

namespace Gear.Client;

/// <summary>What a learner checks of every frame header, over any transport.</summary>
internal static class DataPlaneFrameRules
{
    /// <summary>Most bytes of an end frame's message a learner reads.</summary>
    public const int MaxEndMessageBytes = 64 * 1024;

    /// <summary>The frame must belong to <paramref name="session"/>.</summary>
    public static void CheckSession(BatchFrameHeader header, ulong session)
    {
        if (header.Session != session)
            throw new DataPlaneFrameException($"a frame of session {header.Session} on session {session}");
    }

    /// <summary>An end frame's outcome: nothing for a normal end, the server's status otherwise.</summary>
    /// <exception cref="RpcException">The server ended the stream with an error status.</exception>
    public static void End(BatchFrameHeader header, ReadOnlySpan<byte> message)
    {
        if (header.Status != 0)
            throw new RpcException(new Status((StatusCode)header.Status, System.Text.Encoding.UTF8.GetString(message)));
    }

    /// <summary>A batch frame must have the geometry the stream asked for.</summary>
    public static void CheckBatch(SampleBatchAssembler assembler, BatchFrameHeader header, int maxWindows, int windowLength)
    {
        try
        {
            assembler.CheckFrame(header, maxWindows, windowLength);
        }
        catch (InvalidDataException e)
        {
            throw new DataPlaneFrameException(e.Message);
        }
    }
}
