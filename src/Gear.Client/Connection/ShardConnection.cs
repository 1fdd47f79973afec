using Gear.Protocol.Grpc;
using Google.Protobuf;

namespace Gear.Client;

/// <summary>
/// One server of a <see cref="GearClient"/>: its channel (one per endpoint, reused by every call), the call
/// headers, and unary calls with the deadline and retry policy applied.
/// </summary>
internal sealed class ShardConnection : IDisposable
{
    private readonly Metadata? _headers;
    private readonly RetryPolicy _retry;
    private readonly TimeSpan _defaultTimeout;

    public ShardConnection(int index, Uri endpoint, GearClientOptions options)
    {
        Index = index;
        Endpoint = endpoint;
        ClientOptions = options;
        Identity = GearClientOptions.ShardIdentity(endpoint);
        Channel = GrpcChannel.ForAddress(endpoint, options.ToChannelOptions());
        _retry = options.Retry;
        _defaultTimeout = options.DefaultTimeout;
        if (options.BearerToken is { } token)
            _headers = new Metadata { { "authorization", "Bearer " + token } };
    }

    /// <summary>The client's settings.</summary>
    public GearClientOptions ClientOptions { get; }

    /// <summary>Position in the client's endpoint list.</summary>
    public int Index { get; }

    /// <summary>The server's address.</summary>
    public Uri Endpoint { get; }

    /// <summary>The shard's name on the hash ring.</summary>
    public string Identity { get; }

    /// <summary>The channel every call to this server shares.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Call options for a call ending at <paramref name="deadline"/> (null: none).</summary>
    public CallOptions Options(DateTime? deadline, CancellationToken cancellationToken) => new(_headers, deadline, cancellationToken);

    /// <summary>The absolute deadline of a call with <paramref name="timeout"/> (or the client's default).</summary>
    public DateTime? DeadlineFor(TimeSpan? timeout)
    {
        var span = timeout ?? _defaultTimeout;
        if (span == Timeout.InfiniteTimeSpan)
            return null;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(timeout));
        return DateTime.UtcNow + span;
    }

    /// <summary>A unary call, retried after UNAVAILABLE when <paramref name="retryable"/> and the deadline allows.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(
        Method<TRequest, TResponse> method, TRequest request, bool retryable, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var deadline = DeadlineFor(timeout);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Channel.UnaryAsync(method, request, Options(deadline, cancellationToken)).ConfigureAwait(false);
            }
            catch (RpcException e) when (retryable && RetryPolicy.IsRetryable(e.StatusCode) && attempt < _retry.MaxAttempts)
            {
                var wait = _retry.BackoffFor(attempt, Random.Shared);
                if (deadline is { } end && DateTime.UtcNow + wait >= end)
                    throw;
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits before retry <paramref name="retry"/>; false when the policy or the deadline allows no more.</summary>
    public async Task<bool> BackOffAsync(int retry, DateTime? deadline, CancellationToken cancellationToken)
    {
        if (retry >= _retry.MaxAttempts)
            return false;
        var wait = _retry.BackoffFor(retry, Random.Shared);
        if (deadline is { } end && DateTime.UtcNow + wait >= end)
            return false;
        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public void Dispose() => Channel.Dispose();
}
