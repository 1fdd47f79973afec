using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Server.Tests.Service;

/// <summary>Test-side calls of gear.v1.Replay through Gear.Protocol's client, with an optional bearer token.</summary>
internal sealed class ReplayClient(GrpcChannel channel, string? token = null)
{
    public GrpcChannel Channel => channel;

    public CallOptions Options(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Metadata? headers = null;
        if (token is not null)
            headers = new Metadata { { "authorization", "Bearer " + token } };
        return new CallOptions(headers, timeout is null ? null : DateTime.UtcNow + timeout.Value, cancellationToken);
    }

    public Task<TResponse> Unary<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, TimeSpan? timeout = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        channel.UnaryAsync(method, request, Options(timeout));

    public async Task<string> CreateTableAsync(TableSpec spec)
    {
        await Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = spec });
        return spec.Name;
    }

    public async Task<TableInfo> InfoAsync(string table) =>
        (await Unary(ReplayMethods.ListTables, new ListTablesRequest())).Tables.Single(t => t.Spec.Name == table);

    /// <summary>Inserts trajectories of known content; returns table key → trajectory id from the acknowledgements.</summary>
    public async Task<Dictionary<ulong, ulong>> InsertAsync(string table, IEnumerable<ulong> trajectories, int length, double priority = 1)
    {
        using var call = channel.DuplexStreaming(ReplayMethods.InsertStream, Options());
        var count = 0;
        foreach (var trajectory in trajectories)
        {
            await call.RequestStream.WriteAsync(KnownSteps.Append(table, trajectory, length));
            await call.RequestStream.WriteAsync(new InsertRequest { End = new EndTrajectory { Trajectory = trajectory, Priority = priority } });
            count++;
        }
        await call.RequestStream.CompleteAsync();
        var keys = new Dictionary<ulong, ulong>();
        while (await call.ResponseStream.MoveNext())
        {
            var committed = call.ResponseStream.Current.Committed;
            keys[committed.Key] = committed.Trajectory;
        }
        Assert.AreEqual(count, keys.Count, "every ended trajectory is acknowledged");
        return keys;
    }
}

/// <summary>Steps of known content: obs f32[3] = (trajectory, step, −step), action i32 = trajectory × 1000 + step.</summary>
internal static class KnownSteps
{
    public static TableSpec Spec(string name, Selector sampler = Selector.Uniform, long minSize = 1, ItemGranularity granularity = ItemGranularity.Trajectory) => new()
    {
        Name = name,
        Columns =
        {
            new ColumnSpec { Name = "obs", Dtype = DType.F32, Shape = { 3 } },
            new ColumnSpec { Name = "action", Dtype = DType.I32 },
        },
        HostCapacityBytes = 1 << 20,
        MaxTrajectories = 256,
        Sampler = sampler,
        Granularity = granularity,
        RateLimiter = new RateLimiterSpec { MinSize = new RateLimiterSpec.Types.MinSize { MinSizeToSample = minSize } },
    };

    public static string NewName() => "t-" + Guid.NewGuid().ToString("N")[..12];

    public static byte[] Obs(ulong trajectory, int start, int count) =>
        Enumerable.Range(start, count).SelectMany(s => new[] { (float)trajectory, s, -s }).SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] Action(ulong trajectory, int start, int count) =>
        Enumerable.Range(start, count).SelectMany(s => BitConverter.GetBytes((int)trajectory * 1000 + s)).ToArray();

    public static InsertRequest Append(string table, ulong trajectory, int length) => new()
    {
        Append = new AppendSteps
        {
            Trajectory = trajectory,
            Table = table,
            StepCount = (uint)length,
            Columns = { ByteString.CopyFrom(Obs(trajectory, 0, length)), ByteString.CopyFrom(Action(trajectory, 0, length)) },
        },
    };
}
