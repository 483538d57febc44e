using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

/// <summary>The parse path and the request writer allocate nothing.</summary>
public sealed class StunAllocationTests
{
    [Fact]
    public void ParseAndReadAttributes_WarmedUp_AllocatesNothing()
    {
        var ipv4 = Rfc5769Vectors.IPv4Response;
        var ipv6 = Rfc5769Vectors.IPv6Response;
        var request = Rfc5769Vectors.Request;
        long checksum = ParseLoop(ipv4, ipv6, request, 1000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += ParseLoop(ipv4, ipv6, request, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(11_000L * (32853 + 32853 + 0x58 + 16), checksum);
    }

    [Fact]
    public void WriteBindingRequest_WarmedUp_AllocatesNothing()
    {
        var buffer = new byte[256];
        var id = StunTransactionId.Read(Rfc5769Vectors.TransactionId);
        long total = WriteLoop(buffer, id, 1000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        total += WriteLoop(buffer, id, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);

        // 20 header + 8 CHANGE-REQUEST + 8 RESPONSE-PORT + 20 SOFTWARE (4 + 15 bytes padded) + 8 FINGERPRINT.
        Assert.Equal(11_000L * 64, total);
    }

    private static long ParseLoop(byte[] ipv4, byte[] ipv6, byte[] request, int iterations)
    {
        long sum = 0;
        for (int i = 0; i < iterations; i++)
        {
            if (StunMessage.TryParse(ipv4, out var m4) == StunParseError.None && XorMappedAddressAttribute.TryRead(m4, out var a4))
            {
                sum += a4.Port;
            }

            if (StunMessage.TryParse(ipv6, out var m6) == StunParseError.None && XorMappedAddressAttribute.TryRead(m6, out var a6))
            {
                sum += a6.Port;
            }

            if (StunMessage.TryParse(request, out var r) == StunParseError.None && SoftwareAttribute.TryRead(r, out var software))
            {
                sum += r.Header.Length + software.Length;
            }
        }

        return sum;
    }

    private static long WriteLoop(byte[] buffer, StunTransactionId id, int iterations)
    {
        long total = 0;
        for (int i = 0; i < iterations; i++)
        {
            total += StunBindingRequest.Write(buffer, id, StunChangeFlags.ChangeIP, 4000, 0, "natmap/0.1 test");
        }

        return total;
    }
}
