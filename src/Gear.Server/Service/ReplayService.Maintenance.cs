using System.Buffers;
using Gear.Protocol.V1;
using Gear.Core.Tables;
using Gear.Server.Grpc;
using Gear.Server.WriteAheadLog;
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

    private async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        KeyedResult result;
        LogRecord? record = null;
        ServedTable served;
        using (var lease = _tables.Lease(request.Table))
        using (var keys = PooledCopy.Of(request.Keys))
        {
            served = lease.Served;
            result = lease.Table.Delete(keys.Span, out var sequence);
            if (served.Log is not null && result.Applied > 0)
                record = LogRecord.Delete(sequence, keys.Span);
        }
        if (record is not null)
            await served.MakeDurableAsync(record, "delete").ConfigureAwait(false);
        return new DeleteResponse { Applied = result.Applied, Ignored = result.Ignored };
    }

    private async Task<ResetResponse> Reset(ResetRequest request, ServerCallContext context)
    {
        LogRecord? record = null;
        ServedTable served;
        using (var lease = _tables.Lease(request.Table))
        {
            served = lease.Served;
            var sequence = lease.Table.Reset();
            if (served.Log is not null)
                record = LogRecord.Reset(sequence);
        }
        _logger.LogInformation("Reset table {Table} at the request of {Peer}", request.Table, context.Peer);
        if (record is not null)
            await served.MakeDurableAsync(record, "reset").ConfigureAwait(false);
        return new ResetResponse();
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
