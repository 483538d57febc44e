using System.Net;
using System.Net.Sockets;
using NatMap.Sockets.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Sockets;

public sealed class BoundSocketFactoryTests
{
    [Fact]
    public void Create_UnknownInterface_ThrowsAndWarnsOnceWithReason()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "SO_BINDTODEVICE is Linux only");
        var logger = new RecordingLoggerFactory();
        var factory = new BoundSocketFactory(new SocketSettings("nmnosuch0", null, null), logger);

        var first = Assert.Throws<NatMapException>(() => factory.Create(AddressFamily.InterNetwork, ProtocolType.Udp, shareLocalPort: false));
        Assert.Throws<NatMapException>(() => factory.Create(AddressFamily.InterNetwork, ProtocolType.Udp, shareLocalPort: false));

        Assert.Equal(NatMapErrorKind.BindFailed, first.Kind);
        Assert.Contains("no such device", first.Message, StringComparison.Ordinal);
        Assert.True(factory.InterfaceMissing);
        var warning = Assert.Single(logger.Entries, e => e.Id.Id == 4004);
        Assert.Contains("nmnosuch0", warning.Message, StringComparison.Ordinal);
        Assert.Contains("no such device", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.Id.Id == 4001);
    }

    [Fact]
    public void IsDeviceGone_SocketBoundToPresentInterface_False()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "SO_BINDTODEVICE is Linux only");
        var factory = new BoundSocketFactory(new SocketSettings("lo", null, null), new RecordingLoggerFactory());
        using var socket = factory.Create(AddressFamily.InterNetwork, ProtocolType.Udp, shareLocalPort: false);

        Assert.False(factory.IsDeviceGone(socket));
    }

    [Fact]
    public void Create_UnknownCongestionControl_WarnsAndStillGivesSocket()
    {
        var logger = new RecordingLoggerFactory();
        var factory = new BoundSocketFactory(new SocketSettings(null, null, "nmnosuchcc"), logger);

        using var socket = factory.Create(AddressFamily.InterNetwork, ProtocolType.Tcp, shareLocalPort: true);

        var warning = Assert.Single(logger.Entries, e => e.Id.Id == 4003);
        Assert.Equal(SocketType.Stream, socket.SocketType);

        // The kernel says ENOENT, which .NET calls AddressNotAvailable: the reason says what it means.
        Assert.DoesNotContain("SocketError", warning.Message, StringComparison.Ordinal);
        Assert.Contains("nmnosuchcc (TCP_CONGESTION): the kernel has no such algorithm", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ShareLocalPort_TwoSocketsBindOnePort()
    {
        var factory = new BoundSocketFactory(new SocketSettings(null, null, null), new RecordingLoggerFactory());
        using var first = factory.Create(AddressFamily.InterNetwork, ProtocolType.Tcp, shareLocalPort: true);
        first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var local = (IPEndPoint)first.LocalEndPoint!;
        using var second = factory.Create(AddressFamily.InterNetwork, ProtocolType.Tcp, shareLocalPort: true);

        Assert.True(BoundSocketFactory.TryBind(second, local, out var error), error.ToString());
    }

    [Fact]
    public void Create_LoopbackInterface_BindsToDevice()
    {
        var logger = new RecordingLoggerFactory();
        var factory = new BoundSocketFactory(new SocketSettings("lo", null, null), logger);

        using var socket = factory.Create(AddressFamily.InterNetwork, ProtocolType.Udp, shareLocalPort: false);

        Span<byte> name = stackalloc byte[16];
        int length = socket.GetRawSocketOption(1, 25, name);
        Assert.Equal("lo", System.Text.Encoding.ASCII.GetString(name[..length]).TrimEnd('\0'));
        Assert.Empty(logger.Entries);
    }
}
