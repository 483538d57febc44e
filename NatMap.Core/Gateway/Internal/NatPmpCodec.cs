using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>NAT-PMP on the wire, RFC 6886: version 0, requests of 2 and 12 bytes, answers of 12 and 16.</summary>
internal static class NatPmpCodec
{
    public const int Port = 5351;
    public const byte ExternalAddressOpcode = 0;
    public const byte MapUdpOpcode = 1;
    public const byte MapTcpOpcode = 2;
    public const byte ResponseBit = 0x80;

    /// <summary>Result 1, Unsupported Version (section 3.5): what a PCP-only server never sends, and a NAT-PMP server answers to PCP.</summary>
    public const ushort UnsupportedVersion = 1;

    /// <summary>The external address request, section 3.2: version 0, opcode 0.</summary>
    public static int WriteExternalAddressRequest(Span<byte> destination)
    {
        destination[0] = 0;
        destination[1] = ExternalAddressOpcode;
        return 2;
    }

    /// <summary>
    /// A mapping request, section 3.3; a lifetime of 0 with suggested port 0 deletes the mapping of
    /// <paramref name="internalPort"/> (section 3.4).
    /// </summary>
    public static int WriteMapRequest(Span<byte> destination, byte opcode, ushort internalPort, ushort suggestedExternalPort, uint lifetime)
    {
        var packet = destination[..12];
        packet.Clear();
        packet[1] = opcode;
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], lifetime);
        return 12;
    }

    /// <summary>
    /// Reads an answer; false when it is not a version-0 answer, is too short for its opcode, or
    /// answers another opcode than <paramref name="requestOpcode"/>. An error result may come with
    /// only the 8-byte common part (section 3.5), so that much is read first.
    /// </summary>
    public static bool TryReadResponse(ReadOnlySpan<byte> message, byte requestOpcode, out NatPmpResponse response)
    {
        response = default;
        if (message.Length < 8 || message[0] != 0 || message[1] != (ResponseBit | requestOpcode))
        {
            return false;
        }

        ushort result = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        uint epoch = BinaryPrimitives.ReadUInt32BigEndian(message[4..]);
        if (requestOpcode == ExternalAddressOpcode)
        {
            if (message.Length < 12)
            {
                if (result == 0)
                {
                    return false;
                }

                response = new NatPmpResponse(requestOpcode, result, epoch, null, 0, 0, 0);
                return true;
            }

            response = new NatPmpResponse(requestOpcode, result, epoch, new IPAddress(message.Slice(8, 4)), 0, 0, 0);
            return true;
        }

        if (message.Length < 16)
        {
            if (result == 0)
            {
                return false;
            }

            response = new NatPmpResponse(requestOpcode, result, epoch, null, 0, 0, 0);
            return true;
        }

        response = new NatPmpResponse(
            requestOpcode,
            result,
            epoch,
            null,
            BinaryPrimitives.ReadUInt16BigEndian(message[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[10..]),
            BinaryPrimitives.ReadUInt32BigEndian(message[12..]));
        return true;
    }

    /// <summary>The result codes of section 3.5, in words.</summary>
    public static string Describe(ushort result) => result switch
    {
        0 => "success",
        1 => "unsupported version",
        2 => "not authorized or refused",
        3 => "network failure",
        4 => "out of resources",
        5 => "unsupported opcode",
        _ => "result " + result.ToString(CultureInfo.InvariantCulture),
    };
}
