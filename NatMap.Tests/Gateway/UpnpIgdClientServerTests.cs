using System.Net;
using System.Text;
using NatMap.Gateway;

namespace NatMap.Tests.Gateway;

/// <summary>The UPnP IGD client against a fake IGD on loopback, friendly and hostile.</summary>
public sealed class UpnpIgdClientServerTests
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AddPortMapping_Conflict718_GatewayRefusedWithTheCode()
    {
        await using var igd = new FakeIgd((line, action) => action is null ? FakeIgd.Http(FakeIgd.Description()) : FakeIgd.Http(FakeIgd.Fault(718, "ConflictInMappingEntry"), 500));
        using var client = await ConnectAsync(igd);

        var ex = await Assert.ThrowsAsync<NatMapException>(() => client.AddPortMappingAsync(MappingProtocol.Tcp, 5555, 5555, TimeSpan.FromHours(1), "t", TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken));

        Assert.Equal(NatMapErrorKind.GatewayRefused, ex.Kind);
        Assert.Contains("718 ConflictInMappingEntry", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPortMapping_OnlyPermanentLeases725_RetriesWithLeaseZero()
    {
        int adds = 0;
        await using var igd = new FakeIgd((line, action) => action switch
        {
            null => FakeIgd.Http(FakeIgd.Description()),
            "AddPortMapping" when Interlocked.Increment(ref adds) == 1 => FakeIgd.Http(FakeIgd.Fault(725, "OnlyPermanentLeasesSupported"), 500),
            _ => FakeIgd.Http(FakeIgd.Envelope("<u:" + action + "Response xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"/>")),
        });
        using var client = await ConnectAsync(igd);

        var granted = await client.AddPortMappingAsync(MappingProtocol.Udp, 5555, 5555, TimeSpan.FromHours(1), "t", TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.Zero, granted.Lifetime);
        Assert.Equal(2, adds);
    }

    [Fact]
    public async Task GetSpecificPortMappingEntry_AnswerAnd714_ReadsEntryOrNull()
    {
        bool gone = false;
        await using var igd = new FakeIgd((line, action) => action switch
        {
            null => FakeIgd.Http(FakeIgd.Description()),
            _ when gone => FakeIgd.Http(FakeIgd.Fault(714, "NoSuchEntryInArray"), 500),
            _ => FakeIgd.Http(FakeIgd.Envelope("<u:GetSpecificPortMappingEntryResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewInternalPort>5555</NewInternalPort><NewInternalClient>127.0.0.1</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>natmap</NewPortMappingDescription><NewLeaseDuration>1799</NewLeaseDuration></u:GetSpecificPortMappingEntryResponse>")),
        });
        using var client = await ConnectAsync(igd);

        var entry = await client.GetSpecificPortMappingEntryAsync(MappingProtocol.Tcp, 5555, TestContext.Current.CancellationToken);
        gone = true;
        var none = await client.GetSpecificPortMappingEntryAsync(MappingProtocol.Tcp, 5555, TestContext.Current.CancellationToken);

        Assert.NotNull(entry);
        Assert.Equal((5555, IPAddress.Loopback, true, "natmap", TimeSpan.FromSeconds(1799)), (entry.InternalPort, entry.InternalClient, entry.Enabled, entry.Description, entry.LeaseDuration));
        Assert.Null(none);
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", client.ServiceType);
    }

    [Fact]
    public async Task Connect_HugeDescription_RefusedAfter64KiB()
    {
        // 8 MiB announced and sent in chunks without a length: the client stops reading at 64 KiB + 1.
        var huge = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n<root>" + new string('x', 8 * 1024 * 1024);
        await using var igd = new FakeIgd((_, _) => Encoding.ASCII.GetBytes(huge));

        var ex = await Assert.ThrowsAsync<NatMapException>(() => ConnectAsync(igd));

        Assert.Equal(NatMapErrorKind.GatewayUnavailable, ex.Kind);
        Assert.Contains("larger than 64 KiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_DeclaredHugeLength_RefusedWithoutReading()
    {
        await using var igd = new FakeIgd((_, _) => Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n<root>"));

        var ex = await Assert.ThrowsAsync<NatMapException>(() => ConnectAsync(igd));

        Assert.Contains("larger than 64 KiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_XxeEntity_RefusedAsDtd()
    {
        const string Xxe = "<?xml version=\"1.0\"?><!DOCTYPE root [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><root><URLBase>&xxe;</URLBase></root>";
        await using var igd = new FakeIgd((_, _) => FakeIgd.Http(Xxe));

        var ex = await Assert.ThrowsAsync<NatMapException>(() => ConnectAsync(igd));

        Assert.Equal(NatMapErrorKind.GatewayUnavailable, ex.Kind);
        Assert.Contains("not acceptable XML", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DTD", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_TruncatedXml_ClearError()
    {
        var truncated = FakeIgd.Description()[..200];
        await using var igd = new FakeIgd((_, _) => FakeIgd.Http(truncated));

        var ex = await Assert.ThrowsAsync<NatMapException>(() => ConnectAsync(igd));

        Assert.Equal(NatMapErrorKind.GatewayUnavailable, ex.Kind);
        Assert.Contains("rootDesc.xml", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ControlUrlOnAnotherHost_Refused()
    {
        await using var igd = new FakeIgd((_, _) => FakeIgd.Http(FakeIgd.Description("http://198.51.100.99/ctl")));

        var ex = await Assert.ThrowsAsync<NatMapException>(() => ConnectAsync(igd));

        Assert.Contains("not an http URL on 127.0.0.1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_SilentServer_TimesOut()
    {
        await using var igd = new FakeIgd((_, _) => null);

        var ex = await Assert.ThrowsAsync<NatMapException>(() => ConnectAsync(igd));

        Assert.Equal(NatMapErrorKind.GatewayUnavailable, ex.Kind);
        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Soap_FaultWithoutCodeOrTruncated_ClearError()
    {
        await using var igd = new FakeIgd((line, action) => action switch
        {
            null => FakeIgd.Http(FakeIgd.Description()),
            "GetExternalIPAddress" => FakeIgd.Http(FakeIgd.Envelope("<s:Fault><faultcode>s:Server</faultcode></s:Fault>"), 500),
            _ => FakeIgd.Http(FakeIgd.Envelope("<u:DeletePortMappingResponse")[..80]),
        });
        using var client = await ConnectAsync(igd);

        var fault = await Assert.ThrowsAsync<NatMapException>(() => client.GetExternalIPAddressAsync(TestContext.Current.CancellationToken));
        var truncated = await Assert.ThrowsAsync<NatMapException>(() => client.DeletePortMappingAsync(MappingProtocol.Tcp, 5555, TestContext.Current.CancellationToken));

        Assert.Contains("no UPnP error code", fault.Message, StringComparison.Ordinal);
        Assert.Contains("not acceptable XML", truncated.Message, StringComparison.Ordinal);
    }

    private static Task<UpnpIgdClient> ConnectAsync(FakeIgd igd) =>
        UpnpIgdClient.ConnectAsync(igd.Location, IPAddress.Loopback, NatMap.Sockets.Internal.BoundSocketFactory.Plain, RequestTimeout, TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
}
