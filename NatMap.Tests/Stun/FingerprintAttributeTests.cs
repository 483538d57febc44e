using System.Buffers.Binary;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class FingerprintAttributeTests
{
    [Fact]
    public void Fingerprint_Rfc5769Vectors_RecomputedEqual()
    {
        foreach (var bytes in new[] { Rfc5769Vectors.Request, Rfc5769Vectors.IPv4Response, Rfc5769Vectors.IPv6Response })
        {
            uint expected = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4));
            Assert.Equal(expected, FingerprintAttribute.Compute(bytes.AsSpan(0, bytes.Length - 8)));
        }
    }

    [Fact]
    public void Crc32_KnownCheckValue_Matches()
    {
        // The standard CRC-32 check value of "123456789".
        Assert.Equal(0xCBF43926u, StunCrc32.Compute("123456789"u8));
        Assert.Equal(0u, StunCrc32.Compute(default));
    }
}
