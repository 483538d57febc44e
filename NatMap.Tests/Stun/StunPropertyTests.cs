using System.Net;
using System.Text;
using CsCheck;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

/// <summary>Property-based round trips and fuzzing of the codec with CsCheck.</summary>
public sealed class StunPropertyTests
{
    private static readonly Gen<IPEndPoint> GenIPv4 =
        Gen.Select(Gen.Byte.Array[4], Gen.Int[0, 65535]).Select((bytes, port) => new IPEndPoint(new IPAddress(bytes), port));

    private static readonly Gen<IPEndPoint> GenIPv6 =
        Gen.Select(Gen.Byte.Array[16], Gen.Int[0, 65535]).Select((bytes, port) => new IPEndPoint(new IPAddress(bytes), port));

    private static readonly Gen<IPEndPoint> GenEndPoint = Gen.OneOf(GenIPv4, GenIPv6);

    private static readonly Gen<StunTransactionId> GenId = Gen.Byte.Array[12].Select(b => StunTransactionId.Read(b));

    [Fact]
    public void AddressAttributes_AnyEndpointsAndId_RoundTrip()
    {
        Gen.Select(GenId, GenEndPoint, GenEndPoint, GenEndPoint, GenEndPoint).Sample((id, xor, mapped, other, origin) =>
        {
            var buffer = new byte[256];
            var writer = new StunMessageWriter(buffer, StunClass.SuccessResponse, 1, id);
            Assert.True(XorMappedAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(xor)));
            Assert.True(MappedAddressAttribute.Write(ref writer, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(mapped)));
            Assert.True(OtherAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(other)));
            Assert.True(ResponseOriginAttribute.Write(ref writer, StunAddress.FromIPEndPoint(origin)));
            Assert.True(FingerprintAttribute.Write(ref writer));
            var bytes = buffer.AsSpan(0, writer.Length);

            Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
            Assert.Equal(id, message.Header.TransactionId);
            Assert.True(XorMappedAddressAttribute.TryRead(message, out var readXor));
            Assert.True(MappedAddressAttribute.TryRead(message, out var readMapped));
            Assert.True(OtherAddressAttribute.TryRead(message, out var readOther));
            Assert.True(ResponseOriginAttribute.TryRead(message, out var readOrigin));
            Assert.Equal(xor, readXor.ToIPEndPoint());
            Assert.Equal(mapped, readMapped.ToIPEndPoint());
            Assert.Equal(other, readOther.ToIPEndPoint());
            Assert.Equal(origin, readOrigin.ToIPEndPoint());

            var transaction = StunBindingTransaction.Create(id);
            Assert.True(transaction.TryAccept(bytes, out var response));
            Assert.Equal(xor, response.MappedAddress);
            Assert.Equal(other, response.OtherAddress);
            Assert.Equal(origin, response.ResponseOrigin);
        });
    }

    [Fact]
    public void BindingRequest_AnyOptions_RoundTrip()
    {
        Gen.Select(GenId, Gen.Int[0, 6], Gen.Int[-1, 65535], Gen.Int[0, 600], Gen.String[0, 100]).Sample((id, flagBits, responsePort, padding, software) =>
        {
            var flags = (StunChangeFlags)(flagBits & 6);
            int? port = responsePort < 0 ? null : responsePort;
            var buffer = new byte[2048];
            int length = StunBindingRequest.Write(buffer, id, flags, port, padding, software);
            Assert.True(length > 0);
            Assert.Equal(0, length % 4);

            Assert.Equal(StunParseError.None, StunMessage.TryParse(buffer.AsSpan(0, length), out var message));
            Assert.Equal(StunClass.Request, message.Header.Class);
            Assert.Equal(id, message.Header.TransactionId);
            Assert.Equal(length - FingerprintAttribute.Size, message.FingerprintOffset);
            Assert.Equal(flags != StunChangeFlags.None, ChangeRequestAttribute.TryRead(message, out var readFlags));
            Assert.Equal(flags, readFlags);
            Assert.Equal(port is not null, ResponsePortAttribute.TryRead(message, out ushort readPort));
            Assert.Equal(port ?? 0, readPort);
            Assert.Equal(padding > 0, PaddingAttribute.TryRead(message, out int readPadding));
            Assert.Equal(padding, readPadding);
            Assert.Equal(software.Length > 0, SoftwareAttribute.TryRead(message, out var readSoftware));
            Assert.Equal(software, Encoding.UTF8.GetString(readSoftware));
        });
    }

    [Fact]
    public void ErrorCode_AnyCodeAndReason_RoundTrip()
    {
        Gen.Select(Gen.Int[300, 699], Gen.String[0, 120]).Sample((code, reason) =>
        {
            var reasonBytes = Encoding.UTF8.GetBytes(reason);
            if (reasonBytes.Length > ErrorCodeAttribute.MaxReasonLength)
            {
                return;
            }

            var bytes = StunMessageTests.Build((ref w) => Assert.True(ErrorCodeAttribute.Write(ref w, code, reasonBytes)), StunClass.ErrorResponse);
            Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
            Assert.True(ErrorCodeAttribute.TryRead(message, out int readCode, out var readReason));
            Assert.Equal(code, readCode);
            Assert.Equal(reason, Encoding.UTF8.GetString(readReason));
        });
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var transaction = StunBindingTransaction.Create();
        Gen.Byte.Array[0, 120].Sample(bytes =>
        {
            ParseEverything(bytes);
            transaction.Accept(bytes, out _);
        }, iter: 20_000);
    }

    [Fact]
    public void TryParse_MutatedValidMessages_NeverThrows()
    {
        // Random bytes rarely pass the cookie check; mutating real messages reaches the attribute
        // walk and the attribute readers.
        var seeds = new[] { Rfc5769Vectors.Request, Rfc5769Vectors.IPv4Response, Rfc5769Vectors.IPv6Response };
        var transaction = StunBindingTransaction.Create(StunTransactionId.Read(Rfc5769Vectors.TransactionId));
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1000].Array[1, 4], Gen.Byte.Array[4], Gen.Int[0, 100]).Sample((seed, positions, values, cut) =>
        {
            var bytes = (byte[])seeds[seed].Clone();
            for (int i = 0; i < positions.Length; i++)
            {
                bytes[positions[i] % bytes.Length] = values[i];
            }

            var span = bytes.AsSpan(0, Math.Max(0, bytes.Length - (cut < 90 ? 0 : cut - 90)));
            ParseEverything(span);
            transaction.Accept(span, out _);
        }, iter: 20_000);
    }

    private static void ParseEverything(ReadOnlySpan<byte> bytes)
    {
        if (StunMessage.TryParse(bytes, out var message) != StunParseError.None)
        {
            return;
        }

        foreach (var attribute in message.GetAttributes())
        {
            Assert.True(attribute.Offset + 4 + attribute.Value.Length <= bytes.Length);
        }

        XorMappedAddressAttribute.TryRead(message, out _);
        MappedAddressAttribute.TryRead(message, out _);
        OtherAddressAttribute.TryRead(message, out _);
        ChangedAddressAttribute.TryRead(message, out _);
        ResponseOriginAttribute.TryRead(message, out _);
        ErrorCodeAttribute.TryRead(message, out _, out _);
        SoftwareAttribute.TryRead(message, out _);
        if (UnknownAttributesAttribute.TryRead(message, out var unknown))
        {
            for (int i = 0; i < UnknownAttributesAttribute.Count(unknown); i++)
            {
                UnknownAttributesAttribute.Get(unknown, i);
            }
        }

        ChangeRequestAttribute.TryRead(message, out _);
        ResponsePortAttribute.TryRead(message, out _);
        PaddingAttribute.TryRead(message, out _);
        MessageIntegrityAttribute.Verify(message, "key"u8);
    }
}
