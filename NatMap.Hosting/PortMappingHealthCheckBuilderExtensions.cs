using Microsoft.Extensions.DependencyInjection;
using NatMap.Hosting.Internal;

namespace NatMap.Hosting;

/// <summary>Adds the port mappings' health check to a host's health checks.</summary>
public static class PortMappingHealthCheckBuilderExtensions
{
    /// <summary>
    /// Adds one check over every mapping registered with AddPortMapping: Unhealthy while any has no
    /// mapping (still starting, or stopped), else Degraded while any re-maps, else Healthy. Its data
    /// holds each mapping's state and public endpoint, by name.
    /// </summary>
    /// <param name="builder">The host's health checks.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags for filtering checks (for example by endpoint), or <see langword="null"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHealthChecksBuilder AddPortMappings(this IHealthChecksBuilder builder, string name = "natmap", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<PortMappingHealthCheck>(name, failureStatus: null, tags ?? []);
    }
}
