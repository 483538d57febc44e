using System.Net;

namespace NatMap.Notify;

/// <summary>Settings of an <see cref="NsUpdateNotifier"/>.</summary>
public sealed class NsUpdateNotifierOptions : MappingNotifierOptions
{
    /// <summary>The primary server that takes updates for <see cref="Zone"/> (port 0 means 53).</summary>
    public IPEndPoint? Server { get; set; }

    /// <summary>The zone, such as <c>example.org</c>.</summary>
    public string? Zone { get; set; }

    /// <summary>The name whose records are set: absolute (<c>home.example.org</c>) or relative to <see cref="Zone"/> (<c>home</c>).</summary>
    public string? Name { get; set; }

    /// <summary>The TSIG key that signs the updates; none sends them unsigned (the server must then allow the sender's address).</summary>
    public TsigKey? Key { get; set; }

    /// <summary>The TTL of the records written (default 60 s).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Write the IP4P address (address and port in one AAAA record) at <see cref="Name"/> instead of an A
    /// record and an SRV record. An IPv6 mapping, which has no IP4P form, gets AAAA and SRV.
    /// </summary>
    public bool Ip4p { get; set; }

    /// <summary>
    /// The owner of the SRV record; by default <c>_natmap._tcp.</c> (or <c>_udp</c>) before <see cref="Name"/>.
    /// Absolute, or relative to <see cref="Zone"/> like <see cref="Name"/>.
    /// </summary>
    public string? SrvName { get; set; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The server, zone or name is missing or malformed, or the TTL is out of range.</exception>
    public override void Validate()
    {
        base.Validate();
        if (Server is null)
        {
            throw new ArgumentException("A server address is required.", nameof(Server));
        }

        Internal.DnsNames.Check(Zone, nameof(Zone));
        Internal.DnsNames.Check(Name, nameof(Name));
        if (SrvName is not null)
        {
            Internal.DnsNames.Check(SrvName, nameof(SrvName));
        }

        if (Ttl < TimeSpan.Zero || Ttl.TotalSeconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, "The TTL must be 0 to 2147483647 seconds.");
        }
    }
}
