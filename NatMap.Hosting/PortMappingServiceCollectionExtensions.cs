using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NatMap.Hosting.Internal;
using NatMap.Mapping;

namespace NatMap.Hosting;

/// <summary>Registers named port mappings that run, as a hosted service, for the life of the host.</summary>
public static class PortMappingServiceCollectionExtensions
{
    /// <summary>
    /// Registers every mapping listed under <c>Mappings</c> in <paramref name="configuration"/> (for
    /// example the <c>NatMap</c> section of appsettings.json). Each entry needs a unique <c>Name</c>;
    /// its other keys are the property names of <see cref="PortMapperOptions"/>, written as text:
    /// <c>Protocol</c> (<c>tcp</c> or <c>udp</c>), <c>AddressFamily</c> (<c>IPv4</c> or <c>IPv6</c>),
    /// <c>BindAddress</c>, <c>BindInterface</c>, <c>Port</c> (as <c>-b</c>: <c>5555</c>,
    /// <c>5000-5100</c>), <c>StunServers</c> (a list of <c>host[:port]</c>), <c>HttpServer</c>,
    /// <c>KeepAliveInterval</c>, <c>RetryDelay</c>, <c>MaxRetryDelay</c> and <c>IdleTimeout</c> (as
    /// <c>00:00:30</c>), <c>UdpCheckCycle</c>, <c>FirewallMark</c>, <c>CongestionControl</c>,
    /// <c>TargetHost</c>, <c>TargetPort</c>, <c>MaxConnections</c>. The section is read now; the
    /// options are checked when the host starts (an invalid one stops the start with an
    /// <see cref="OptionsValidationException"/> naming the mapping and the key).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The section holding <c>Mappings</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentException">An entry has no name, or two share one.</exception>
    public static IServiceCollection AddPortMapping(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var entries = configuration.GetSection("Mappings").Get<List<PortMappingSettings>>() ?? [];
        var registrations = AddCore(services);
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            string name = string.IsNullOrWhiteSpace(entry.Name)
                ? throw new ArgumentException($"Mappings:{i} has no Name: every port mapping needs one.", nameof(configuration))
                : entry.Name;
            if (entry.ApplyTo(new PortMapperOptions()) is { } problem)
            {
                registrations.Problems[name] = $"{problem.Key}: {problem.Reason}";
            }

            Add(services, registrations, name, options => entry.ApplyTo(options));
        }

        return services;
    }

    /// <summary>Registers one mapping, configured in code, under <paramref name="name"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The mapping's name, unique among the host's mappings.</param>
    /// <param name="configure">Sets the mapping's options; they are checked when the host starts.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already registered.</exception>
    public static IServiceCollection AddPortMapping(this IServiceCollection services, string name, Action<PortMapperOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        Add(services, AddCore(services), name, configure);
        return services;
    }

    private static void Add(IServiceCollection services, PortMappingRegistrations registrations, string name, Action<PortMapperOptions> configure)
    {
        if (registrations.Names.Contains(name))
        {
            throw new ArgumentException($"A port mapping named '{name}' is already registered.", nameof(name));
        }

        registrations.Names.Add(name);
        services.AddOptions<PortMapperOptions>(name).Configure(configure).ValidateOnStart();
    }

    private static PortMappingRegistrations AddCore(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(PortMappingRegistrations))?.ImplementationInstance is PortMappingRegistrations existing)
        {
            return existing;
        }

        var registrations = new PortMappingRegistrations();
        services.AddSingleton(registrations);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new PortMapperCreator());
        services.TryAddSingleton(sp => new PortMappings(registrations.Names, sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortMapperOptions>, PortMapperOptionsValidator>());
        services.AddHostedService<PortMappingService>();
        return registrations;
    }
}
