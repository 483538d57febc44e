using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Ip4p;

/// <summary>
/// IP4P: an IPv4 endpoint carried inside an IPv6 address, <c>2001::{port}:{ipv4-hi16}:{ipv4-lo16}</c>,
/// so that a DNS AAAA record can publish both the address and the port of a mapping.
/// </summary>
public static class Ip4pCodec
{
    private const ushort Prefix = 0x2001;

    /// <summary>Encodes an IPv4 endpoint as an IP4P IPv6 address.</summary>
    /// <param name="endPoint">An IPv4 endpoint (an IPv4-mapped IPv6 address is accepted too).</param>
    /// <returns>The address <c>2001::{port}:{ipv4-hi16}:{ipv4-lo16}</c>.</returns>
    /// <exception cref="ArgumentException">The endpoint is not IPv4.</exception>
    public static IPAddress Encode(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> bytes = stackalloc byte[16];
        Write(endPoint, bytes);
        return new IPAddress(bytes);
    }

    /// <summary>Decodes an IP4P address back into the IPv4 endpoint it carries.</summary>
    /// <param name="address">The candidate address.</param>
    /// <param name="endPoint">The IPv4 endpoint, when the address is IP4P.</param>
    /// <returns><see langword="true"/> when <paramref name="address"/> has the exact IP4P form.</returns>
    public static bool TryDecode(IPAddress address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (address is null || address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId != 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out _))
        {
            return false;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(bytes) != Prefix || bytes.Slice(2, 8).IndexOfAnyExcept((byte)0) >= 0)
        {
            return false;
        }

        int port = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(10, 2));
        endPoint = new IPEndPoint(new IPAddress(bytes.Slice(12, 4)), port);
        return true;
    }

    /// <summary>
    /// Formats the IP4P address of an IPv4 endpoint as the original natmap prints it, four hex digits per
    /// group: 1.2.3.4:80 gives <c>2001::0050:0102:0304</c>. This is the text handed to notify scripts.
    /// </summary>
    /// <param name="endPoint">An IPv4 endpoint.</param>
    /// <returns>The fixed-width text form.</returns>
    /// <exception cref="ArgumentException">The endpoint is not IPv4.</exception>
    public static string Format(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> bytes = stackalloc byte[16];
        Write(endPoint, bytes);
        return string.Create(null, stackalloc char[20],
            $"2001::{BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(10)):x4}:{BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(12)):x4}:{BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(14)):x4}");
    }

    private static void Write(IPEndPoint endPoint, Span<byte> destination)
    {
        var ip = IPv4Mapped.Unmap(endPoint.Address);

        if (ip.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("IP4P carries IPv4 endpoints only.", nameof(endPoint));
        }

        destination.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination, Prefix);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10), (ushort)endPoint.Port);
        ip.TryWriteBytes(destination.Slice(12), out _);
    }
}
