using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Mapping.Internal;

namespace NatMap.Mapping;

/// <summary>Creates TCP and UDP port mappers.</summary>
public static class PortMapper
{
    /// <summary>
    /// Checks <paramref name="options"/> and creates a mapper for its protocol. The mapper takes a copy of
    /// the options; changing them afterwards has no effect. Nothing touches the network until
    /// <see cref="IPortMapper.WatchAsync"/> is enumerated.
    /// </summary>
    /// <param name="options">What to map and how.</param>
    /// <param name="loggerFactory">Where the mapper logs, or <see langword="null"/> for nowhere.</param>
    /// <returns>The mapper; dispose it to stop.</returns>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="PortMapperOptions.Validate"/>); <see cref="ArgumentException.ParamName"/> names the option.</exception>
    /// <example>
    /// Keep a UDP mapping of local port 5555 open and print the public address each time it changes:
    /// <code>
    /// var options = new PortMapperOptions { Protocol = MappingProtocol.Udp, Port = PortSpec.Fixed(5555) };
    /// options.StunServers.Add(StunServerEndPoint.Parse("stun.example.org"));
    /// await using IPortMapper mapper = PortMapper.Create(options);
    /// await foreach (MappingChanged change in mapper.WatchAsync(cancellationToken))
    /// {
    ///     Console.WriteLine(change.PublicEndPoint + " -> " + change.PrivateEndPoint);
    /// }
    /// </code>
    /// </example>
    public static IPortMapper Create(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var settings = Check(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        return PortMapperFactory.Create(settings, StunProbe.Create(settings, loggerFactory), loggerFactory);
    }

    /// <summary>
    /// Creates a UDP mapper whose mapped port the app serves itself, in-process: the app receives and
    /// sends datagrams through the mapper's own socket (see <see cref="IMappedUdpServer"/>), while the
    /// mapper's STUN checks from that socket keep the NAT's entry open. The socket is bound, and
    /// datagrams flow, while <see cref="IPortMapper.WatchAsync"/> is enumerated.
    /// </summary>
    /// <param name="options">What to map and how: <see cref="PortMapperOptions.Protocol"/> must be
    /// <see cref="MappingProtocol.Udp"/>, and <see cref="PortMapperOptions.TargetHost"/> unset.</param>
    /// <param name="loggerFactory">Where the mapper logs, or <see langword="null"/> for nowhere.</param>
    /// <returns>The mapper and server; dispose it to stop.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The protocol is not UDP, or a forward target is set.</exception>
    /// <exception cref="ArgumentException">The options are otherwise invalid (see <see cref="PortMapperOptions.Validate"/>).</exception>
    /// <example>
    /// An echo server on the mapped UDP port:
    /// <code>
    /// var options = new PortMapperOptions { Protocol = MappingProtocol.Udp, Port = PortSpec.Fixed(5555) };
    /// options.StunServers.Add(StunServerEndPoint.Parse("stun.example.net"));
    /// await using var server = PortMapper.CreateUdpServer(options);
    /// using var stop = new CancellationTokenSource();
    /// var watching = Task.Run(async () =>
    /// {
    ///     await foreach (var mapping in server.WatchAsync(stop.Token))
    ///     {
    ///         Console.WriteLine("reachable at " + mapping.PublicEndPoint);
    ///     }
    /// });
    /// var buffer = new byte[65_507];
    /// var peer = new SocketAddress(AddressFamily.InterNetwork);
    /// while (!stop.IsCancellationRequested)
    /// {
    ///     int length = await server.ReceiveFromAsync(buffer, peer, stop.Token);
    ///     await server.SendToAsync(buffer.AsMemory(0, length), peer, stop.Token);
    /// }
    /// </code>
    /// </example>
    public static IMappedUdpServer CreateUdpServer(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var settings = CheckServing(options, MappingProtocol.Udp);
        loggerFactory ??= NullLoggerFactory.Instance;
        return PortMapperFactory.CreateUdpServer(settings, StunProbe.Create(settings, loggerFactory), loggerFactory);
    }

    /// <summary>
    /// Creates a TCP mapper whose app serves the mapped port in-process: every inbound connection of
    /// the mapping's local port is handed to <see cref="IMappedTcpServer.AcceptAsync"/> as pipes, with
    /// no second listener and no loopback hop. Nothing touches the network until
    /// <see cref="IPortMapper.WatchAsync"/> is enumerated, and connections arrive only while it is.
    /// </summary>
    /// <param name="options">
    /// What to map and how: <see cref="PortMapperOptions.Protocol"/> must be TCP and
    /// <see cref="PortMapperOptions.TargetHost"/> unset. <see cref="PortMapperOptions.IdleTimeout"/>
    /// and <see cref="PortMapperOptions.MaxConnections"/> apply to the served connections.
    /// </param>
    /// <param name="loggerFactory">Where the mapper logs, or <see langword="null"/> for nowhere.</param>
    /// <returns>The server; dispose it to stop (which closes every connection not yet accepted).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The protocol is UDP, or a forward target is set.</exception>
    /// <exception cref="ArgumentException">The options are otherwise invalid (see <see cref="PortMapperOptions.Validate"/>).</exception>
    /// <example>
    /// An echo server on the mapped port:
    /// <code>
    /// var options = new PortMapperOptions { Port = PortSpec.Parse("5555"), HttpServer = "example.org" };
    /// options.StunServers.Add(StunServerEndPoint.Parse("stun.example.org"));
    /// await using IMappedTcpServer server = PortMapper.CreateTcpServer(options);
    /// _ = Task.Run(async () =>
    /// {
    ///     await foreach (MappingChanged change in server.WatchAsync(cancellationToken))
    ///     {
    ///         Console.WriteLine($"reachable at {change.PublicEndPoint}");
    ///     }
    /// });
    /// while (true)
    /// {
    ///     TcpPipeConnection connection = await server.AcceptAsync(cancellationToken);
    ///     _ = Task.Run(async () =>
    ///     {
    ///         await using (connection)
    ///         {
    ///             // Echo until the peer's FIN; completing the output sends ours.
    ///             await connection.Transport.Input.CopyToAsync(connection.Transport.Output);
    ///             await connection.Transport.Output.CompleteAsync();
    ///         }
    ///     });
    /// }
    /// </code>
    /// </example>
    public static IMappedTcpServer CreateTcpServer(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var settings = CheckServing(options, MappingProtocol.Tcp);
        loggerFactory ??= NullLoggerFactory.Instance;
        return PortMapperFactory.CreateTcpServer(settings, StunProbe.Create(settings, loggerFactory), loggerFactory);
    }

    /// <summary>In-process serving: the options' protocol must be the server's, and no forward target set.</summary>
    private static MapperSettings CheckServing(PortMapperOptions options, MappingProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Protocol != protocol)
        {
            throw new ArgumentException("In-process serving of a " + (protocol == MappingProtocol.Tcp ? "TCP" : "UDP") + " port needs options.Protocol = MappingProtocol." + protocol + ".", nameof(options));
        }

        if (options.TargetHost is not null)
        {
            throw new ArgumentException("In-process serving takes the " + (protocol == MappingProtocol.Tcp ? "connections" : "datagrams") + " itself: options.TargetHost must not be set.", nameof(options));
        }

        return Check(options);
    }

    private static MapperSettings Check(PortMapperOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return MapperSettings.From(options);
    }
}
