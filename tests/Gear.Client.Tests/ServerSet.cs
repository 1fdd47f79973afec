namespace Gear.Client.Tests;

/// <summary>Several loopback servers, disposed together.</summary>
internal sealed class ServerSet : IAsyncDisposable
{
    private readonly LoopbackServer[] _servers;
    private readonly bool[] _stopped;

    private ServerSet(LoopbackServer[] servers)
    {
        _servers = servers;
        _stopped = new bool[servers.Length];
    }

    public LoopbackServer this[int index] => _servers[index];

    public IReadOnlyList<Uri> Addresses => _servers.Select(s => s.Address).ToArray();

    /// <summary>Stops one server, as a shard that goes down.</summary>
    public async Task StopAsync(int index)
    {
        _stopped[index] = true;
        await _servers[index].DisposeAsync();
    }

    public static async Task<ServerSet> StartAsync(int count)
    {
        var servers = new LoopbackServer[count];
        for (var i = 0; i < count; i++)
            servers[i] = await LoopbackServer.StartAsync();
        return new ServerSet(servers);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _servers.Length; i++)
        {
            if (!_stopped[i])
                await _servers[i].DisposeAsync();
        }
    }
}
