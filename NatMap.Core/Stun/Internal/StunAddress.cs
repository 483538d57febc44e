using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Stun.Internal;

/// <summary>
/// A transport address as STUN carries it (family, port, IPv4 or IPv6 address), held by value so
/// that decoding allocates nothing; <see cref="ToIPEndPoint"/> makes the object when wanted.
/// </summary>
internal readonly struct StunAddress : IEquatable<StunAddress>
{
    /// <summary>Family 0x01, RFC 8489 section 14.1.</summary>
    public const byte FamilyIPv4 = 0x01;

    /// <summary>Family 0x02, RFC 8489 section 14.1.</summary>
    public const byte FamilyIPv6 = 0x02;

    private readonly ulong _high;
    private readonly ulong _low;

    private StunAddress(byte family, ushort port, ulong high, ulong low)
    {
        Family = family;
        Port = port;
        _high = high;
        _low = low;
    }

    /// <summary><see cref="FamilyIPv4"/> or <see cref="FamilyIPv6"/>; 0 for the default value.</summary>
    public byte Family { get; }

    /// <summary>The port.</summary>
    public ushort Port { get; }

    /// <summary>Length of the address bytes: 4 or 16.</summary>
    public int AddressLength => Family == FamilyIPv4 ? 4 : 16;

    /// <summary>Builds an address from family, port and 4 or 16 address bytes in network order.</summary>
    public static StunAddress Create(byte family, ushort port, ReadOnlySpan<byte> address) => family == FamilyIPv4
        ? new StunAddress(family, port, 0, BinaryPrimitives.ReadUInt32BigEndian(address))
        : new StunAddress(family, port, BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address[8..]));

    /// <summary>
    /// This address with the port XORed with <paramref name="port"/> and the address bits with
    /// <paramref name="high"/>:<paramref name="low"/> (IPv4 uses the low 32 bits of <paramref name="low"/>).
    /// </summary>
    public StunAddress Xor(ushort port, ulong high, ulong low) => Family == FamilyIPv4
        ? new StunAddress(Family, (ushort)(Port ^ port), 0, (_low ^ low) & 0xFFFFFFFF)
        : new StunAddress(Family, (ushort)(Port ^ port), _high ^ high, _low ^ low);

    /// <summary>Converts an endpoint; an IPv4-mapped IPv6 address becomes IPv4.</summary>
    public static StunAddress FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var address = IPv4Mapped.Unmap(endPoint.Address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return Create(address.AddressFamily == AddressFamily.InterNetwork ? FamilyIPv4 : FamilyIPv6, (ushort)endPoint.Port, bytes[..written]);
    }

    /// <summary>Writes the 4 or 16 address bytes in network order.</summary>
    public void WriteAddress(Span<byte> destination)
    {
        if (Family == FamilyIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        }
    }

    /// <summary>Makes an <see cref="IPEndPoint"/> (this allocates).</summary>
    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteAddress(bytes);
        return new IPEndPoint(new IPAddress(bytes[..AddressLength]), Port);
    }

    public bool Equals(StunAddress other) => Family == other.Family && Port == other.Port && _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is StunAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Family, Port, _high, _low);

    public override string ToString() => Family == 0 ? "(none)" : ToIPEndPoint().ToString();

    public static bool operator ==(StunAddress left, StunAddress right) => left.Equals(right);

    public static bool operator !=(StunAddress left, StunAddress right) => !left.Equals(right);
}
