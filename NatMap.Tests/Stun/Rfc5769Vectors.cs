namespace NatMap.Tests.Stun;

/// <summary>The RFC 5769 test vectors, byte for byte (sections 2.1 to 2.3).</summary>
internal static class Rfc5769Vectors
{
    public const string Password = "VOkJxbRl1RmTxUk/WvJxBt";

    public static readonly byte[] TransactionId = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    /// <summary>Section 2.1: Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    public static byte[] Request => Hex("""
        00010058 2112a442 b7e7a701 bc34d686
        fa87dfae 80220010 5354554e 20746573
        7420636c 69656e74 00240004 6e0001ff
        80290008 932ff9b1 51263b36 00060009
        6576746a 3a683676 59202020 00080014
        9aeaa70c bfd8cb56 781ef2b5 b2d3f249
        c1b571a2 80280004 e57a3bcf
        """);

    /// <summary>Section 2.2: success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.</summary>
    public static byte[] IPv4Response => Hex("""
        0101003c 2112a442 b7e7a701 bc34d686
        fa87dfae 8022000b 74657374 20766563
        746f7220 00200008 0001a147 e112a643
        00080014 2b91f599 fd9e90c3 8c7489f9
        2af9ba53 f06be7d7 80280004 c07d4c96
        """);

    /// <summary>Section 2.3: success response, XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.</summary>
    public static byte[] IPv6Response => Hex("""
        01010048 2112a442 b7e7a701 bc34d686
        fa87dfae 8022000b 74657374 20766563
        746f7220 00200014 0002a147 0113a9fa
        a5d3f179 bc25f4b5 bed2b9d9 00080014
        a382954e 4be67bf1 1784c97c 8292c275
        bfe3ed41 80280004 c8fb0b4c
        """);

    public static byte[] Hex(string text) =>
        Convert.FromHexString(string.Concat(text.Where(char.IsAsciiHexDigit)));
}
