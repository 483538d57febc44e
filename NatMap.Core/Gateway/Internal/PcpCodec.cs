using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The PCP MAP opcode on the wire, RFC 6887 sections 7.1, 7.2 and 11.1: a 24-byte common header and
/// the 36-byte MAP body, addresses always 16 bytes (IPv4 as ::ffff:a.b.c.d, section 5).
/// </summary>
internal static class PcpCodec
{
    public const int Port = 5351;
    public const byte Version = 2;
    public const byte MapOpcode = 1;
    public const int MapLength = 60;
    public const int NonceLength = 12;
    public const byte ResponseBit = 0x80;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    /// <summary>
    /// Writes a MAP request, RFC 6887 sections 7.1 and 11.1; <paramref name="lifetime"/> 0 deletes
    /// the mapping (section 15), which the server grants only with the nonce that created it.
    /// </summary>
    public static int WriteMapRequest(Span<byte> destination, IPAddress client, ReadOnlySpan<byte> nonce, byte protocol, ushort internalPort, ushort suggestedExternalPort, uint lifetime, IPAddress? suggestedExternal = null)
    {
        if (destination.Length < MapLength)
        {
            throw new ArgumentException("A PCP MAP request takes 60 bytes.", nameof(destination));
        }

        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException("The PCP mapping nonce is 12 bytes.", nameof(nonce));
        }

        var packet = destination[..MapLength];
        packet.Clear();
        packet[0] = Version;
        packet[1] = MapOpcode;
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], lifetime);
        WriteAddress(packet.Slice(8, 16), client);
        nonce.CopyTo(packet.Slice(24, NonceLength));
        packet[36] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(packet[40..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet[42..], suggestedExternalPort);

        // All zeros (::) says no preference for IPv6; for IPv4 the preference-free value is ::ffff:0.0.0.0.
        WriteAddress(packet.Slice(44, 16), suggestedExternal ?? (client.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any));
        return MapLength;
    }

    /// <summary>The ANNOUNCE request, RFC 6887 section 14.1: the common header alone, opcode 0, lifetime 0.</summary>
    public static int WriteAnnounceRequest(Span<byte> destination, IPAddress client)
    {
        var packet = destination[..24];
        packet.Clear();
        packet[0] = Version;
        WriteAddress(packet.Slice(8, 16), client);
        return 24;
    }

    /// <summary>
    /// Reads a MAP response; false for anything else (too short, not a response, another opcode).
    /// A response with a non-zero result may be shorter than 60 bytes only for an unsupported
    /// version, whose header alone is then read (the body fields are zero).
    /// </summary>
    public static bool TryReadMapResponse(ReadOnlyMemory<byte> message, out PcpMapResponse response)
    {
        response = default;
        var span = message.Span;
        if (span.Length < 24 || span.Length > 1100 || span.Length % 4 != 0)
        {
            return false;
        }

        if ((span[1] & ResponseBit) == 0 || (span[1] & 0x7F) != MapOpcode)
        {
            return false;
        }

        var result = (PcpResultCode)span[3];
        uint lifetime = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        uint epoch = BinaryPrimitives.ReadUInt32BigEndian(span[8..]);
        if (span.Length < MapLength)
        {
            if (result == PcpResultCode.Success)
            {
                return false;
            }

            response = new PcpMapResponse(span[0], result, lifetime, epoch, ReadOnlyMemory<byte>.Empty, 0, 0, 0, IPAddress.Any);
            return true;
        }

        response = new PcpMapResponse(
            span[0],
            result,
            lifetime,
            epoch,
            message.Slice(24, NonceLength),
            span[36],
            BinaryPrimitives.ReadUInt16BigEndian(span[40..]),
            BinaryPrimitives.ReadUInt16BigEndian(span[42..]),
            ReadAddress(span.Slice(44, 16)));
        return true;
    }

    /// <summary>A 16-byte PCP address, section 5: IPv4 as an IPv4-mapped IPv6 address.</summary>
    public static void WriteAddress(Span<byte> destination, IPAddress address)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        if (!v6.TryWriteBytes(destination, out _))
        {
            throw new ArgumentException("A PCP address takes 16 bytes.", nameof(destination));
        }
    }

    /// <summary>Reads a 16-byte PCP address; an IPv4-mapped one comes back as IPv4.</summary>
    public static IPAddress ReadAddress(ReadOnlySpan<byte> source)
    {
        var address = new IPAddress(source[..16]);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    public static string Describe(PcpResultCode code) => code switch
    {
        PcpResultCode.Success => "SUCCESS",
        PcpResultCode.UnsupportedVersion => "UNSUPP_VERSION",
        PcpResultCode.NotAuthorized => "NOT_AUTHORIZED",
        PcpResultCode.MalformedRequest => "MALFORMED_REQUEST",
        PcpResultCode.UnsupportedOpcode => "UNSUPP_OPCODE",
        PcpResultCode.UnsupportedOption => "UNSUPP_OPTION",
        PcpResultCode.MalformedOption => "MALFORMED_OPTION",
        PcpResultCode.NetworkFailure => "NETWORK_FAILURE",
        PcpResultCode.NoResources => "NO_RESOURCES",
        PcpResultCode.UnsupportedProtocol => "UNSUPP_PROTOCOL",
        PcpResultCode.UserExceededQuota => "USER_EX_QUOTA",
        PcpResultCode.CannotProvideExternal => "CANNOT_PROVIDE_EXTERNAL",
        PcpResultCode.AddressMismatch => "ADDRESS_MISMATCH",
        PcpResultCode.ExcessiveRemotePeers => "EXCESSIVE_REMOTE_PEERS",
        _ => "result " + ((byte)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
