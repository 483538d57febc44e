using Microsoft.Extensions.Diagnostics.HealthChecks;
using NatMap.Mapping;

namespace NatMap.Hosting.Internal;

/// <summary>The worst of the mappings: none yet (or stopped) is Unhealthy, re-mapping is Degraded.</summary>
internal sealed class PortMappingHealthCheck : IHealthCheck
{
    private readonly PortMappings _mappings;

    public PortMappingHealthCheck(PortMappings mappings) => _mappings = mappings;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var worst = HealthStatus.Healthy;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var status in _mappings.Statuses)
        {
            var health = status.State switch
            {
                MappingState.Mapped => HealthStatus.Healthy,
                MappingState.Remapping => HealthStatus.Degraded,
                _ => HealthStatus.Unhealthy,
            };
            string state = status.State.ToString().ToLowerInvariant();
            data[status.Name] = status.Mapping is { } mapping ? state + " " + mapping.PublicEndPoint : state;
            if (health != HealthStatus.Healthy)
            {
                problems.Add(status.LastError is { } error ? $"{status.Name}: {state} ({error})" : $"{status.Name}: {state}");
            }

            worst = health < worst ? health : worst;
        }

        string description = problems.Count == 0
            ? (data.Count == 0 ? "no port mapping is registered" : "every port mapping is mapped")
            : string.Join("; ", problems);
        return Task.FromResult(new HealthCheckResult(worst, description, data: data));
    }
}
