using System.Net;
using NatMap.Gateway.Internal;

namespace NatMap.Tests.Gateway;

public sealed class PcpCodecTests
{
    private static readonly byte[] Nonce = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    /// <summary>miniupnpd 2.3.1's answer to a MAP of UDP 5556 for 3600 s, captured in the home-router testbed.</summary>
    private static readonly byte[] MiniupnpdMapAnswer = Convert.FromHexString(
        "0281000000000e10000058110000000000000000000000000102030405060708090a0b0c1100000015b415b400000000000000000000ffffcb007101");

    [Fact]
    public void WriteMapRequest_Rfc6887Layout_ByteForByte()
    {
        var buffer = new byte[60];
        int length = PcpCodec.WriteMapRequest(buffer, IPAddress.Parse("198.51.100.10"), Nonce, PcpCodec.ProtocolUdp, 5556, 5556, 3600);

        // RFC 6887 figures 2 and 9: version 2, opcode MAP, lifetime, ::ffff:client, nonce, protocol 17,
        // internal and suggested external port, suggested external ::ffff:0.0.0.0.
        var expected = Convert.FromHexString(
            "0201000000000e1000000000000000000000ffffc633640a0102030405060708090a0b0c1100000015b415b400000000000000000000ffff00000000");
        Assert.Equal(60, length);
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void TryReadMapResponse_MiniupnpdAnswer_ReadsGrant()
    {
        Assert.True(PcpCodec.TryReadMapResponse(MiniupnpdMapAnswer, out var response));

        Assert.Equal(PcpResultCode.Success, response.Result);
        Assert.Equal(3600u, response.Lifetime);
        Assert.Equal(Nonce, response.Nonce.ToArray());
        Assert.Equal(PcpCodec.ProtocolUdp, response.Protocol);
        Assert.Equal(5556, response.InternalPort);
        Assert.Equal(5556, response.ExternalPort);
        Assert.Equal(IPAddress.Parse("203.0.113.1"), response.ExternalAddress);
    }

    [Fact]
    public void TryReadMapResponse_TruncatedAtEveryLength_NeverReadsASuccess()
    {
        for (int length = 0; length < MiniupnpdMapAnswer.Length; length++)
        {
            bool read = PcpCodec.TryReadMapResponse(MiniupnpdMapAnswer.AsMemory(0, length), out var response);
            Assert.False(read && response.Result == PcpResultCode.Success, "length " + length);
        }
    }

    [Fact]
    public void TryReadMapResponse_ShortErrorHeader_ReadsResult()
    {
        var answer = new byte[24];
        answer[0] = 2;
        answer[1] = 0x81;
        answer[3] = (byte)PcpResultCode.NoResources;

        Assert.True(PcpCodec.TryReadMapResponse(answer, out var response));
        Assert.Equal(PcpResultCode.NoResources, response.Result);
    }

    [Fact]
    public void TryReadMapResponse_RequestOrOtherOpcode_Refused()
    {
        var request = (byte[])MiniupnpdMapAnswer.Clone();
        request[1] = 0x01;
        var peer = (byte[])MiniupnpdMapAnswer.Clone();
        peer[1] = 0x82;

        Assert.False(PcpCodec.TryReadMapResponse(request, out _));
        Assert.False(PcpCodec.TryReadMapResponse(peer, out _));
    }
}
