using NatMap.Mapping;
using NatMap.Mapping.Internal;
using NatMap.Stun;

namespace NatMap.Tests.Mapping;

public sealed class MapperSettingsTests
{
    /// <summary>
    /// Keepalive of relayed TCP connections from -k: idle 2k (10 s to 32767 s), probes k/3 apart (1 s
    /// to 10 s), 3 of them; the documented bound max(3k, 13 s) holds for each.
    /// </summary>
    [Theory]
    [InlineData(1, 10, 1)]
    [InlineData(2, 10, 1)]
    [InlineData(5, 10, 1)]
    [InlineData(10, 20, 3)]
    [InlineData(30, 60, 10)]
    [InlineData(100, 200, 10)]
    public void From_KeepAliveInterval_DerivesForwardKeepAlive(int k, int idle, int interval)
    {
        var options = new PortMapperOptions { HttpServer = "192.0.2.80", KeepAliveInterval = TimeSpan.FromSeconds(k) };
        options.StunServers.Add(StunServerEndPoint.Parse("192.0.2.1"));

        var settings = MapperSettings.From(options);

        Assert.Equal(TimeSpan.FromSeconds(idle), settings.ForwardKeepAliveTime);
        Assert.Equal(TimeSpan.FromSeconds(interval), settings.ForwardKeepAliveInterval);
        Assert.True(idle + (3 * interval) <= Math.Max(3 * k, 13), "the documented bound max(3 x -k, 13 s)");
    }
}
