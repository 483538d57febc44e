using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Notify.Internal;

namespace NatMap.Tests.Notify;

/// <summary>The RFC 2136 UPDATE and RFC 8945 TSIG encoding, byte for byte, and the checks of the answer.</summary>
public sealed class DnsUpdateTests
{
    private static readonly MappingChanged Mapping = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));
    private static readonly TsigKey Key = new("natmap-key", Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef"));
    private const long Time = 1_700_000_000;

    [Theory]
    [InlineData("home", "example.org", "home.example.org")]
    [InlineData("home.example.org", "example.org", "home.example.org")]
    [InlineData("Home.Example.ORG", "example.org.", "Home.Example.ORG")]
    [InlineData("other.net.", "example.org", "other.net")]
    [InlineData("@", "example.org", "example.org")]
    public void Absolute_RelativeNamesGoUnderTheZone(string name, string zone, string expected) =>
        Assert.Equal(expected, DnsNames.Absolute(name, zone));

    [Fact]
    public void BuildRequest_Unsigned_IsTheUpdateByteForByte()
    {
        var notifier = Notifier(key: null);

        var message = notifier.BuildRequest(Mapping, 0x1234, Time, out var mac);

        Assert.Empty(mac);
        byte[] expected =
        [
            0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 4, 0, 0,                         // id, opcode 5, ZO 1, PR 0, UP 4, AD 0
            7, .."example"u8, 3, .."org"u8, 0, 0, 6, 0, 1,                          // zone example.org SOA IN
            4, .."home"u8, 7, .."example"u8, 3, .."org"u8, 0, 0, 1, 0, 255, 0, 0, 0, 0, 0, 0, // delete A rrset
            4, .."home"u8, 7, .."example"u8, 3, .."org"u8, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 1,
            7, .."_natmap"u8, 4, .."_tcp"u8, 4, .."home"u8, 7, .."example"u8, 3, .."org"u8, 0, 0, 33, 0, 255, 0, 0, 0, 0, 0, 0,
            7, .."_natmap"u8, 4, .."_tcp"u8, 4, .."home"u8, 7, .."example"u8, 3, .."org"u8, 0, 0, 33, 0, 1, 0, 0, 0, 60, 0, 24,
            0, 0, 0, 0, 0xb1, 0xf3, 4, .."home"u8, 7, .."example"u8, 3, .."org"u8, 0, // SRV 0 0 45555 home.example.org.
        ];
        Assert.Equal(expected, message);
    }

    [Fact]
    public void BuildRequest_Ip4p_WritesOnlyTheAaaa()
    {
        var message = Notifier(key: null, ip4p: true).BuildRequest(Mapping, 1, Time, out _);

        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(8)));
        Assert.EndsWith(Convert.ToHexString(IPAddress.Parse("2001::b1f3:cb00:7101").GetAddressBytes()), Convert.ToHexString(message), StringComparison.Ordinal);
    }

    [Fact]
    public void BuildRequest_Signed_AppendsTsigWhoseMacCoversMessageAndVariables()
    {
        var unsigned = Notifier(key: null).BuildRequest(Mapping, 0x1234, Time, out _);

        var signed = Notifier(Key).BuildRequest(Mapping, 0x1234, Time, out var mac);

        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(signed.AsSpan(10)));
        Assert.True(signed.AsSpan(12, unsigned.Length - 12).SequenceEqual(unsigned.AsSpan(12)));
        byte[] variables =
        [
            10, .."natmap-key"u8, 0, 0, 255, 0, 0, 0, 0,                        // key name, class ANY, TTL 0
            11, .."hmac-sha256"u8, 0,                                            // algorithm
            0, 0, 0x65, 0x53, 0xf1, 0x00, 1, 44, 0, 0, 0, 0,                   // time 1700000000, fudge 300, error 0, other 0
        ];
        var expectedMac = HMACSHA256.HashData(Key.Secret.Span, [.. unsigned, .. variables]);
        Assert.Equal(expectedMac, mac);
        byte[] record =
        [
            10, .."natmap-key"u8, 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 61,           // TSIG, ANY, TTL 0, RDLENGTH 61
            11, .."hmac-sha256"u8, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, 1, 44, 0, 32, .. expectedMac, 0x12, 0x34, 0, 0, 0, 0,
        ];
        Assert.Equal(record, signed.AsSpan(unsigned.Length).ToArray());
    }

    [Fact]
    public void Check_SignedNoError_VerifiesAndAnyFlippedByteFails()
    {
        Notifier(Key).BuildRequest(Mapping, 0x4242, Time, out var requestMac);
        var answer = SignedAnswer(0x4242, rcode: 0, requestMac);

        Assert.Null(DnsUpdateResponse.Check(answer, Key, requestMac, Time + 1));
        Assert.Contains("outside the fudge", DnsUpdateResponse.Check(answer, Key, requestMac, Time + 301), StringComparison.Ordinal);
        Assert.Contains("does not verify", DnsUpdateResponse.Check(answer, Key, new byte[32], Time), StringComparison.Ordinal);
        for (int i = 12; i < answer.Length; i++)
        {
            var broken = (byte[])answer.Clone();
            broken[i] ^= 0x01;
            Assert.NotNull(DnsUpdateResponse.Check(broken, Key, requestMac, Time));
        }
    }

    [Fact]
    public void Check_ErrorAnswers_NameTheReason()
    {
        Notifier(Key).BuildRequest(Mapping, 7, Time, out var requestMac);

        Assert.Equal("the server answered REFUSED", DnsUpdateResponse.Check(SignedAnswer(7, rcode: 5, requestMac), Key, requestMac, Time));
        Assert.Equal("the server answered NOTAUTH without a TSIG signature", DnsUpdateResponse.Check(Header(7, rcode: 9, additional: 0), Key, requestMac, Time));
        Assert.Equal("the server answered NOTZONE", DnsUpdateResponse.Check(Header(7, rcode: 10, additional: 0), null, [], Time));
        Assert.Null(DnsUpdateResponse.Check(Header(7, rcode: 0, additional: 0), null, [], Time));
        var badKey = Header(7, rcode: 9, additional: 1).Concat(TsigRecord(7, error: 17, mac: [])).ToArray();
        Assert.Contains("NOTAUTH (TSIG BADKEY)", DnsUpdateResponse.Check(badKey, Key, requestMac, Time), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_TruncatedAtEveryLength_GivesAReasonNeverThrows()
    {
        Notifier(Key).BuildRequest(Mapping, 9, Time, out var requestMac);
        var answer = SignedAnswer(9, rcode: 0, requestMac);

        for (int length = 12; length < answer.Length; length++)
        {
            Assert.NotNull(DnsUpdateResponse.Check(answer.AsSpan(0, length), Key, requestMac, Time));
        }

        Assert.False(DnsUpdateResponse.IsAnswerTo(answer.AsSpan(0, 11), 9));
        Assert.False(DnsUpdateResponse.IsAnswerTo(answer, 10));
    }

    [Fact]
    public void TsigKey_Parse_ReadsTsigKeygenOutput()
    {
        var key = TsigKey.Parse("key \"natmap-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"MDEyMzQ1Njc4OWFiY2RlZg==\";\n};\n");

        Assert.Equal("natmap-key", key.Name);
        Assert.Equal("0123456789abcdef"u8.ToArray(), key.Secret.ToArray());
        Assert.Throws<FormatException>(() => TsigKey.Parse("key \"k\" { algorithm hmac-md5; secret \"MDEy\"; };"));
        Assert.Throws<FormatException>(() => TsigKey.Parse("key \"k\" { algorithm hmac-sha256; secret \"not base64!\"; };"));
        Assert.Throws<FormatException>(() => TsigKey.Parse("no key here"));
    }

    [Fact]
    public async Task Notify_ServerWithoutPort_SendsToPort53()
    {
        // An address of the loopback range of its own, so that no resolver on 127.0.0.1:53 is in the way.
        var address = IPAddress.Parse("127.77.0.53");
        using var server = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        try
        {
            server.Bind(new IPEndPoint(address, 53));
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AccessDenied && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Assert.Skip("binding port 53 needs root");
        }

        await using var notifier = new NsUpdateNotifier(new NsUpdateNotifierOptions { Server = new IPEndPoint(address, 0), Zone = "example.org", Name = "home", MaxAttempts = 1, AttemptTimeout = TimeSpan.FromSeconds(1) });
        notifier.Notify(Mapping);

        var buffer = new byte[512];
        int length = await server.ReceiveAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(length > 12);
        Assert.Equal(0x28, buffer[2]);
    }

    private static NsUpdateNotifier Notifier(TsigKey? key, bool ip4p = false) => new(new NsUpdateNotifierOptions
    {
        Server = new IPEndPoint(IPAddress.Loopback, 53),
        Zone = "example.org",
        Name = "home",
        Key = key,
        Ip4p = ip4p,
    });

    /// <summary>An answer as a server writes it: the zone section echoed, then a TSIG chained to the request MAC (RFC 8945 section 5.3).</summary>
    private static byte[] SignedAnswer(ushort id, int rcode, byte[] requestMac)
    {
        byte[] zone = [7, .. "example"u8, 3, .. "org"u8, 0, 0, 6, 0, 1];
        var header = Header(id, rcode, additional: 0, zones: 1);
        byte[] unsigned = [.. header, .. zone];
        var mac = Tsig.Mac(Key, requestMac, unsigned, Time, Tsig.Fudge, 0);
        byte[] signed = [.. unsigned, .. TsigRecord(id, 0, mac)];
        signed[11] = 1;
        return signed;
    }

    private static byte[] Header(ushort id, int rcode, int additional, int zones = 0) =>
        [(byte)(id >> 8), (byte)id, 0xA8, (byte)rcode, 0, (byte)zones, 0, 0, 0, 0, 0, (byte)additional];

    private static byte[] TsigRecord(ushort id, int error, byte[] mac)
    {
        byte[] rdata = [11, .. "hmac-sha256"u8, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, 1, 44, 0, (byte)mac.Length, .. mac, (byte)(id >> 8), (byte)id, 0, (byte)error, 0, 0];
        return [10, .. "natmap-key"u8, 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, (byte)rdata.Length, .. rdata];
    }
}
