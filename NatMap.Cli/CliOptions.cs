using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;

namespace NatMap.Cli;

/// <summary>What the command line asked for, after each option was parsed on its own.</summary>
internal sealed class CliOptions
{
    public AddressFamily AddressFamily { get; init; } = AddressFamily.InterNetwork;

    public MappingProtocol Protocol { get; init; } = MappingProtocol.Tcp;

    public bool Detach { get; init; }

    public IPAddress? BindAddress { get; init; }

    public string? BindInterface { get; init; }

    /// <summary><c>-k</c>; <see langword="null"/> leaves the mapper's default (30 s TCP, 10 s UDP).</summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    /// <summary><c>-c</c>; <see langword="null"/> leaves the mapper's default (10).</summary>
    public int? UdpCheckCycle { get; init; }

    public IReadOnlyList<string> StunServers { get; init; } = [];

    public string? HttpServer { get; init; }

    public string? Script { get; init; }

    public uint? FirewallMark { get; init; }

    public PortSpec Port { get; init; }

    /// <summary><c>-w</c>: accepted for compatibility with the original, which waits this long before reusing a port.</summary>
    public int? PortReuseWait { get; init; }

    public string? CongestionControl { get; init; }

    /// <summary><c>-T</c>; <see langword="null"/> leaves the mapper's default (300 s).</summary>
    public TimeSpan? IdleTimeout { get; init; }

    public string? TargetHost { get; init; }

    public int? TargetPort { get; init; }

    public bool Json { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;
}
