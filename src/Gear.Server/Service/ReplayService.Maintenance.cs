using System.Buffers;
using Gear.Protocol.V1;
using Gear.Server.Grpc;
using Google.Protobuf.Collections;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    private Task<UpdatePrioritiesResponse> UpdatePriorities(UpdatePrioritiesRequest request, ServerCallContext context)
    {
        using var lease = _tables.Lease(request.Table);
        using var keys = PooledCopy.Of(request.Keys);
        using var priorities = PooledCopy.Of(request.Priorities);
        var result = lease.Table.UpdatePriorities(keys.Span, priorities.Span);
        return Task.FromResult(new UpdatePrioritiesResponse { Applied = result.Applied, Ignored = result.Ignored });
    }

    private Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        using var lease = _tables.Lease(request.Table);
        using var keys = PooledCopy.Of(request.Keys);
        var result = lease.Table.Delete(keys.Span);
        return Task.FromResult(new DeleteResponse { Applied = result.Applied, Ignored = result.Ignored });
    }

    private Task<ResetResponse> Reset(ResetRequest request, ServerCallContext context)
    {
        using var lease = _tables.Lease(request.Table);
        lease.Table.Reset();
        _logger.LogInformation("Reset table {Table} at the request of {Peer}", request.Table, context.Peer);
        return Task.FromResult(new ResetResponse());
    }

    /// <summary>A repeated field copied into a pooled array, so Core gets a span without a per-call array.</summary>
    private readonly struct PooledCopy<T> : IDisposable
    {
        private readonly T[] _array;
        private readonly int _length;

        public PooledCopy(RepeatedField<T> field)
        {
            _length = field.Count;
            _array = ArrayPool<T>.Shared.Rent(_length);
            field.CopyTo(_array, 0);
        }

        public ReadOnlySpan<T> Span => _array.AsSpan(0, _length);

        public void Dispose() => ArrayPool<T>.Shared.Return(_array);
    }

    private static class PooledCopy
    {
        public static PooledCopy<T> Of<T>(RepeatedField<T> field) => new(field);
    }
}
