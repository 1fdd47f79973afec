using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Gear.Protocol.DataPlane;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// One data-plane session's TCP connection: sends the hello, then reads frames straight into pooled buffers
/// (no intermediate copy: a Pipe would add one; payloads through <see cref="PayloadReceiver"/>) and returns a
/// credit per batch received, so the server sends the next batch while the learner trains on this one.
/// </summary>
internal sealed class DataPlaneConnection : IDataPlaneConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly BatchFrameHeader _header;
    private readonly byte[] _headerBytes;
    private readonly byte[] _credit = new byte[LearnerFrames.CreditBytes];
    private readonly ulong _session;

    private DataPlaneConnection(Socket socket, int columns, ulong session)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _header = new BatchFrameHeader(columns);
        _headerBytes = new byte[_header.Size];
        _session = session;
        LearnerFrames.WriteCredit(_credit, 1);
    }

    /// <summary>Connects to the granted endpoint and presents the session token with the initial credits.</summary>
    public static async Task<DataPlaneConnection> ConnectAsync(OpenDataPlaneResponse grant, Uri grpcEndpoint, int columns, int credits, CancellationToken cancellationToken)
    {
        var endPoint = IPEndPoint.Parse(grant.Endpoint);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // A server listening on every interface reports 0.0.0.0 (or ::): reach it where its gRPC port is reached.
            if (endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any))
                await socket.ConnectAsync(grpcEndpoint.IdnHost, endPoint.Port, cancellationToken).ConfigureAwait(false);
            else
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            var connection = new DataPlaneConnection(socket, columns, grant.Session);
            var hello = new byte[LearnerFrames.HelloBytes];
            LearnerFrames.WriteHello(hello, grant.SessionToken.Span, (uint)credits);
            await connection._stream.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<(BatchFrameHeader Header, byte[] Payload)?> ReadAsync(SampleBatchAssembler assembler, int maxWindows, int windowLength, CancellationToken cancellationToken)
    {
        await _stream.ReadExactlyAsync(_headerBytes.AsMemory(0, BatchFrameHeader.PrefixBytes), cancellationToken).ConfigureAwait(false);
        BatchFrameHeader.ReadSize(_headerBytes, _header.ColumnBytes.Length);
        await _stream.ReadExactlyAsync(_headerBytes.AsMemory(BatchFrameHeader.PrefixBytes), cancellationToken).ConfigureAwait(false);
        _header.Read(_headerBytes);
        DataPlaneFrameRules.CheckSession(_header, _session);
        if (_header.Kind == FrameKind.End)
        {
            var message = new byte[Math.Min(_header.MetadataBytes, DataPlaneFrameRules.MaxEndMessageBytes)];
            if (message.Length != _header.MetadataBytes)
                throw new DataPlaneFrameException($"an end frame with a message of {_header.MetadataBytes} bytes");
            await _stream.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
            DataPlaneFrameRules.End(_header, message);
            return null;
        }
        DataPlaneFrameRules.CheckBatch(assembler, _header, maxWindows, windowLength);
        var bytes = (int)_header.PayloadBytes;
        var payload = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes));
        try
        {
            await PayloadReceiver.ReceiveExactlyAsync(_socket, payload.AsMemory(0, bytes), cancellationToken).ConfigureAwait(false);
            await _stream.WriteAsync(_credit, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(payload);
            throw;
        }
        return (_header, payload);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
