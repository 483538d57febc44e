using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Notify;

/// <summary>
/// Publishes each mapping in DNS with an RFC 2136 dynamic update, signed with TSIG HMAC-SHA256 (RFC 8945)
/// when a <see cref="NsUpdateNotifierOptions.Key"/> is given: the A (or AAAA) record of the public address
/// at <see cref="NsUpdateNotifierOptions.Name"/> and an SRV record (RFC 2782) of the public port, or with
/// <see cref="NsUpdateNotifierOptions.Ip4p"/> one AAAA record holding the IP4P address. Each update replaces
/// the record sets it writes. The update goes over UDP to the primary server; the answer's RCODE and
/// signature are checked.
/// </summary>
public sealed class NsUpdateNotifier : MappingNotifier
{
    private readonly IPEndPoint _server;
    private readonly string _zone;
    private readonly string _name;
    private readonly string? _srvName;
    private readonly TsigKey? _key;
    private readonly uint _ttl;
    private readonly bool _ip4p;

    /// <summary>Creates a notifier for one name.</summary>
    /// <param name="options">The server, zone, name, key and retry settings; validated and copied.</param>
    /// <param name="loggerFactory">Where deliveries and failures are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public NsUpdateNotifier(NsUpdateNotifierOptions options, ILoggerFactory? loggerFactory = null)
        : base("nsupdate", Describe(options), options, loggerFactory)
    {
        _server = options.Server!.Port == 0 ? new IPEndPoint(options.Server.Address, 53) : options.Server;
        _zone = options.Zone!.TrimEnd('.');
        _name = DnsNames.Absolute(options.Name!, _zone);
        _srvName = options.SrvName is { } srv ? DnsNames.Absolute(srv, _zone) : null;
        _key = options.Key;
        _ttl = (uint)options.Ttl.TotalSeconds;
        _ip4p = options.Ip4p;
    }

    /// <inheritdoc/>
    protected override async Task DeliverAsync(MappingChanged mapping, CancellationToken cancellationToken)
    {
        ushort id = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
        var request = BuildRequest(mapping, id, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), out var requestMac);
        using var socket = new Socket(_server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(_server, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[4096];
        while (true)
        {
            int length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (!DnsUpdateResponse.IsAnswerTo(buffer.AsSpan(0, length), id))
            {
                continue;
            }

            if (DnsUpdateResponse.Check(buffer.AsSpan(0, length), _key, requestMac, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) is { } problem)
            {
                throw new IOException(problem);
            }

            return;
        }
    }

    /// <summary>The UPDATE for <paramref name="mapping"/>, signed when a key is set (<paramref name="requestMac"/> is then its MAC, else empty).</summary>
    internal byte[] BuildRequest(MappingChanged mapping, ushort id, long timeSigned, out byte[] requestMac)
    {
        var update = new DnsUpdate(id, _zone);
        var publicEndPoint = IPv4Mapped.Unmap(mapping.PublicEndPoint);
        if (_ip4p && mapping.Ip4p is { } ip4p)
        {
            update.ReplaceAddress(_name, ip4p, _ttl);
        }
        else
        {
            update.ReplaceAddress(_name, publicEndPoint.Address, _ttl);
            string srv = _srvName ?? "_natmap._" + MappingText.FormatProtocol(mapping.Protocol) + "." + _name;
            update.ReplaceSrv(srv, publicEndPoint.Port, _name, _ttl);
        }

        if (_key is null)
        {
            requestMac = [];
            return update.ToArray();
        }

        return Tsig.Sign(update.ToArray(), _key, timeSigned, out requestMac);
    }

    private static string Describe(NsUpdateNotifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return $"{options.Server} zone {options.Zone!.TrimEnd('.')} name {DnsNames.Absolute(options.Name!, options.Zone)}";
    }
}
