using System.Net;
using NatMap.Gateway.Internal;

namespace NatMap.Tests.Gateway;

public sealed class NatPmpCodecTests
{
    [Fact]
    public void WriteRequests_Rfc6886Layout_ByteForByte()
    {
        var buffer = new byte[12];

        Assert.Equal(2, NatPmpCodec.WriteExternalAddressRequest(buffer));
        Assert.Equal(new byte[] { 0, 0 }, buffer[..2]);
        Assert.Equal(12, NatPmpCodec.WriteMapRequest(buffer, NatPmpCodec.MapUdpOpcode, 5555, 5555, 3600));
        Assert.Equal(Convert.FromHexString("0001000015b315b300000e10"), buffer);
        NatPmpCodec.WriteMapRequest(buffer, NatPmpCodec.MapTcpOpcode, 5555, 0, 0);
        Assert.Equal(Convert.FromHexString("0002000015b3000000000000"), buffer);
    }

    [Fact]
    public void TryReadResponse_MiniupnpdAnswers_ReadsThem()
    {
        // Captured from miniupnpd 2.3.1 in the home-router testbed: external address, map, delete.
        Assert.True(NatPmpCodec.TryReadResponse(Convert.FromHexString("0080000000005811cb007101"), NatPmpCodec.ExternalAddressOpcode, out var address));
        Assert.True(NatPmpCodec.TryReadResponse(Convert.FromHexString("008100000000581115b315b300000e10"), NatPmpCodec.MapUdpOpcode, out var map));
        Assert.True(NatPmpCodec.TryReadResponse(Convert.FromHexString("008100000000581115b3000000000000"), NatPmpCodec.MapUdpOpcode, out var delete));

        Assert.Equal(IPAddress.Parse("203.0.113.1"), address.ExternalAddress);
        Assert.Equal((0, 5555, 5555, 3600u), (map.Result, map.InternalPort, map.ExternalPort, map.Lifetime));
        Assert.Equal((0, 5555, 0, 0u), (delete.Result, delete.InternalPort, delete.ExternalPort, delete.Lifetime));
    }

    [Fact]
    public void TryReadResponse_TruncatedSuccess_Refused()
    {
        var answer = Convert.FromHexString("008100000000581115b315b300000e10");
        for (int length = 0; length < answer.Length; length++)
        {
            Assert.False(NatPmpCodec.TryReadResponse(answer.AsSpan(0, length), NatPmpCodec.MapUdpOpcode, out _), "length " + length);
        }
    }

    [Fact]
    public void TryReadResponse_ShortError_ReadsResult()
    {
        Assert.True(NatPmpCodec.TryReadResponse(Convert.FromHexString("0082000300000001"), NatPmpCodec.MapTcpOpcode, out var response));
        Assert.Equal(3, response.Result);
    }

    [Fact]
    public void TryReadResponse_OtherOpcodeOrVersion_Refused()
    {
        Assert.False(NatPmpCodec.TryReadResponse(Convert.FromHexString("008200000000581115b315b300000e10"), NatPmpCodec.MapUdpOpcode, out _));
        Assert.False(NatPmpCodec.TryReadResponse(Convert.FromHexString("028100000000581115b315b300000e10"), NatPmpCodec.MapUdpOpcode, out _));
    }
}
