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
    /// <exception cref="NatMapException">The options are invalid (see <see cref="PortMapperOptions.Validate"/>).</exception>
    public static IPortMapper Create(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var settings = MapperSettings.From(options);
        return PortMapperFactory.Create(settings, StunProbe.Create(settings, loggerFactory), loggerFactory);
    }
}
