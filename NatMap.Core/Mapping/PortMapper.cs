using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Diagnostics;
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
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PortMapperOptions.MaxConnections"/> is below 1.</exception>
    /// <exception cref="NatMapException">The options are invalid (see <see cref="PortMapperOptions.Validate"/>).</exception>
    public static IPortMapper Create(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var settings = Check(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        return PortMapperFactory.Create(settings, StunProbe.Create(settings, loggerFactory), loggerFactory);
    }

    /// <summary>
    /// Creates a TCP mapper whose app serves the mapped port in-process: every inbound connection of
    /// the mapping's local port is handed to <see cref="IMappedTcpServer.AcceptAsync"/> as pipes, with
    /// no second listener and no loopback hop. Nothing touches the network until
    /// <see cref="IPortMapper.WatchAsync"/> is enumerated, and connections arrive only while it is.
    /// </summary>
    /// <param name="options">
    /// What to map and how: <see cref="PortMapperOptions.Protocol"/> must be TCP and
    /// <see cref="PortMapperOptions.ForwardTarget"/> unset. <see cref="PortMapperOptions.ForwardIdleTimeout"/>
    /// and <see cref="PortMapperOptions.MaxConnections"/> apply to the served connections.
    /// </param>
    /// <param name="loggerFactory">Where the mapper logs, or <see langword="null"/> for nowhere.</param>
    /// <returns>The server; dispose it to stop (which closes every connection not yet accepted).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The protocol is UDP, or a forward target is set.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PortMapperOptions.MaxConnections"/> is below 1.</exception>
    /// <exception cref="NatMapException">The options are invalid otherwise (see <see cref="PortMapperOptions.Validate"/>).</exception>
    /// <example>
    /// An echo server on the mapped port:
    /// <code>
    /// var options = new PortMapperOptions { Port = PortSpec.Parse("5555"), HttpServer = "example.org" };
    /// options.StunServers.Add("stun.example.org");
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
        ArgumentNullException.ThrowIfNull(options);
        if (options.Protocol != MappingProtocol.Tcp)
        {
            throw new ArgumentException("In-process serving needs a TCP mapping: options.Protocol must be Tcp.", nameof(options));
        }

        if (options.ForwardTarget is not null)
        {
            throw new ArgumentException("In-process serving takes the connections itself: options.ForwardTarget must not be set.", nameof(options));
        }

        var settings = Check(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        return PortMapperFactory.CreateTcpServer(settings, StunProbe.Create(settings, loggerFactory), loggerFactory);
    }

    private static MapperSettings Check(PortMapperOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConnections, "options.MaxConnections must be at least 1.");
        }

        options.Validate();
        return MapperSettings.From(options);
    }
}
