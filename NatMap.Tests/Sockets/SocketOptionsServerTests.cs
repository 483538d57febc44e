using System.Buffers.Binary;
using System.Net.Sockets;
using NatMap.Sockets.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Sockets;

/// <summary>Socket options that need root (SO_MARK needs CAP_NET_ADMIN).</summary>
public sealed class SocketOptionsServerTests
{
    [Fact]
    public void Create_FirewallMark_SetsSoMark()
    {
        Requirements.Root();
        var logger = new RecordingLoggerFactory();
        var factory = new BoundSocketFactory(new SocketSettings(null, 0x1a2b, null), logger);

        using var socket = factory.Create(AddressFamily.InterNetwork, ProtocolType.Tcp, shareLocalPort: true);

        Span<byte> value = stackalloc byte[4];
        Assert.Equal(4, socket.GetRawSocketOption(1, 36, value));
        Assert.Equal(0x1a2bU, BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(value) : BinaryPrimitives.ReadUInt32BigEndian(value));
        Assert.Empty(logger.Entries);
    }
}
