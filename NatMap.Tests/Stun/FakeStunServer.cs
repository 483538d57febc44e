using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using NatMap.Stun;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

/// <summary>
/// Scripted STUN servers on loopback for client tests: each received request (or TCP connection) is
/// handed to a handler that decides what, if anything, goes back.
/// </summary>
internal static class FakeStunServer
{
    /// <summary>A success response for <paramref name="id"/> reporting <paramref name="mapped"/>.</summary>
    public static byte[] Success(StunTransactionId id, IPEndPoint mapped, bool fingerprint = true)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunClass.SuccessResponse, (ushort)StunMethod.Binding, id);
        XorMappedAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(mapped));
        SoftwareAttribute.Write(ref writer, "fake");
        if (fingerprint)
        {
            FingerprintAttribute.Write(ref writer);
        }

        return buffer.AsSpan(0, writer.Length).ToArray();
    }

    /// <summary>An error response for <paramref name="id"/>.</summary>
    public static byte[] Error(StunTransactionId id, int code, string reason)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunClass.ErrorResponse, (ushort)StunMethod.Binding, id);
        ErrorCodeAttribute.Write(ref writer, code, System.Text.Encoding.UTF8.GetBytes(reason));
        FingerprintAttribute.Write(ref writer);
        return buffer.AsSpan(0, writer.Length).ToArray();
    }

    /// <summary>The transaction id of a request, checking it is a Binding request.</summary>
    public static StunTransactionId RequestId(ReadOnlySpan<byte> request)
    {
        Assert.Equal(StunParseError.None, StunMessage.TryParse(request, out var message));
        Assert.Equal(StunClass.Request, message.Header.Class);
        Assert.Equal((ushort)StunMethod.Binding, message.Header.Method);
        return message.Header.TransactionId;
    }

    /// <summary>Any other transaction id.</summary>
    public static StunTransactionId Other(StunTransactionId id)
    {
        StunTransactionId other;
        do
        {
            other = StunTransactionId.NewRandom();
        }
        while (other == id);
        return other;
    }
}
