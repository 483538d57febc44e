using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class StunTransactionIdTests
{
    [Fact]
    public void NewRandom_ManyIds_AllDistinctAndEveryBitVaries()
    {
        const int count = 4096;
        var seen = new HashSet<StunTransactionId>();
        Span<byte> bytes = stackalloc byte[12];
        Span<byte> ones = stackalloc byte[12];
        Span<byte> zeros = stackalloc byte[12];
        zeros.Fill(0xFF);
        for (int i = 0; i < count; i++)
        {
            var id = StunTransactionId.NewRandom();
            Assert.True(seen.Add(id), "a random transaction id repeated");
            id.WriteTo(bytes);
            for (int b = 0; b < 12; b++)
            {
                ones[b] |= bytes[b];
                zeros[b] &= bytes[b];
            }
        }

        // A fixed bit (such as a Guid's version or variant bits leaking in) would stay 0 in `ones`
        // or 1 in `zeros`; the chance that a truly random bit never flips in 4096 draws is 2^-4095.
        Assert.Equal(Convert.ToHexString(new byte[12].AsSpan()).Replace('0', 'F'), Convert.ToHexString(ones));
        Assert.Equal(Convert.ToHexString(new byte[12]), Convert.ToHexString(zeros));
    }

    [Fact]
    public void ReadWrite_RoundTrip_KeepsAllTwelveBytes()
    {
        byte[] source = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var id = StunTransactionId.Read(source);
        var back = new byte[12];
        id.WriteTo(back);
        Assert.Equal(source, back);
    }
}
