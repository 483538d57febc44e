using System.Globalization;
using System.Net;
using NatMap.Mapping;
using NatMap.Stun;

namespace NatMap.Hosting.Internal;

/// <summary>
/// One entry of <c>NatMap:Mappings</c> as configuration holds it: text and numbers, bound by the
/// configuration binding generator, then turned into a <see cref="PortMapperOptions"/> by
/// <see cref="ApplyTo"/>. Keys are the option's property names; what the options type cannot take
/// from text (addresses, port specs, server lists) is parsed here.
/// </summary>
internal sealed class PortMappingSettings
{
    public string? Name { get; set; }

    public string? Protocol { get; set; }

    public string? AddressFamily { get; set; }

    public string? BindAddress { get; set; }

    public string? BindInterface { get; set; }

    public string? Port { get; set; }

    public List<string> StunServers { get; set; } = [];

    public string? HttpServer { get; set; }

    public TimeSpan? KeepAliveInterval { get; set; }

    public int? UdpCheckCycle { get; set; }

    public uint? FirewallMark { get; set; }

    public string? CongestionControl { get; set; }

    public TimeSpan? RetryDelay { get; set; }

    public TimeSpan? MaxRetryDelay { get; set; }

    public string? TargetHost { get; set; }

    public int? TargetPort { get; set; }

    public TimeSpan? IdleTimeout { get; set; }

    public int? MaxConnections { get; set; }

    /// <summary>Copies the entry onto <paramref name="options"/>; returns the first value that does not parse (key and reason), or null.</summary>
    public (string Key, string Reason)? ApplyTo(PortMapperOptions options)
    {
        if (Protocol is { } protocol)
        {
            if (protocol.Equals("tcp", StringComparison.OrdinalIgnoreCase))
            {
                options.Protocol = MappingProtocol.Tcp;
            }
            else if (protocol.Equals("udp", StringComparison.OrdinalIgnoreCase))
            {
                options.Protocol = MappingProtocol.Udp;
            }
            else
            {
                return (nameof(Protocol), $"'{protocol}' is not a protocol: expected tcp or udp");
            }
        }

        if (AddressFamily is { } family)
        {
            if (family is "4" or "ipv4" or "IPv4" or "InterNetwork")
            {
                options.AddressFamily = System.Net.Sockets.AddressFamily.InterNetwork;
            }
            else if (family is "6" or "ipv6" or "IPv6" or "InterNetworkV6")
            {
                options.AddressFamily = System.Net.Sockets.AddressFamily.InterNetworkV6;
            }
            else
            {
                return (nameof(AddressFamily), $"'{family}' is not an address family: expected IPv4 or IPv6");
            }
        }

        if (BindAddress is { } bind)
        {
            if (!IPAddress.TryParse(bind, out var address))
            {
                return (nameof(BindAddress), $"'{bind}' is not an IP address");
            }

            options.BindAddress = address;
        }

        if (Port is { } port)
        {
            if (!PortSpec.TryParse(port, out var spec, out var error))
            {
                return (nameof(Port), error);
            }

            options.Port = spec;
        }

        for (int i = 0; i < StunServers.Count; i++)
        {
            try
            {
                options.StunServers.Add(StunServerEndPoint.Parse(StunServers[i]));
            }
            catch (FormatException ex)
            {
                return (nameof(StunServers) + ":" + i.ToString(CultureInfo.InvariantCulture), ex.Message);
            }
        }

        options.BindInterface = BindInterface ?? options.BindInterface;
        options.HttpServer = HttpServer ?? options.HttpServer;
        options.KeepAliveInterval = KeepAliveInterval ?? options.KeepAliveInterval;
        options.UdpCheckCycle = UdpCheckCycle ?? options.UdpCheckCycle;
        options.FirewallMark = FirewallMark ?? options.FirewallMark;
        options.CongestionControl = CongestionControl ?? options.CongestionControl;
        options.RetryDelay = RetryDelay ?? options.RetryDelay;
        options.MaxRetryDelay = MaxRetryDelay ?? options.MaxRetryDelay;
        options.TargetHost = TargetHost ?? options.TargetHost;
        options.TargetPort = TargetPort ?? options.TargetPort;
        options.IdleTimeout = IdleTimeout ?? options.IdleTimeout;
        options.MaxConnections = MaxConnections ?? options.MaxConnections;
        return null;
    }
}
