using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NatMap.Mapping;

namespace NatMap.Hosting.Internal;

/// <summary>
/// The hosted service: one mapper per registered name, created with the host's logger factory,
/// watched until the host stops; every change and state goes to <see cref="PortMappings"/>.
/// </summary>
internal sealed class PortMappingService : BackgroundService
{
    private readonly PortMappings _mappings;
    private readonly IOptionsMonitor<PortMapperOptions> _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly HostingMetrics _metrics;
    private readonly PortMapperCreator _creator;

    public PortMappingService(PortMappings mappings, IOptionsMonitor<PortMapperOptions> options, ILoggerFactory loggerFactory, IEnumerable<IMeterFactory> meterFactory, PortMapperCreator creator)
    {
        _creator = creator;
        _mappings = mappings;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("NatMap.Hosting");
        _metrics = new HostingMetrics(meterFactory.FirstOrDefault(), mappings);
    }

    public override void Dispose()
    {
        _metrics.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_mappings.Names.Count == 0)
        {
            HostingLog.NoMappings(_logger);
            return Task.CompletedTask;
        }

        return Task.WhenAll(_mappings.Names.Select(name => RunAsync(name, stoppingToken)));
    }

    private async Task RunAsync(string name, CancellationToken stoppingToken)
    {
        // Off the host's start path: StartAsync returns once every mapper is created.
        await Task.Yield();
        using var scope = HostingLog.BeginMapping(_logger, name);
        var options = _options.Get(name);
        HostingLog.Starting(_logger, name, options.Protocol, options.Port);
        var mapper = _creator.Create(options, _loggerFactory);
        await using (mapper.ConfigureAwait(false))
        {
            mapper.StateChanged += (_, _) => Publish(name, mapper);
            try
            {
                await foreach (var change in mapper.WatchAsync(stoppingToken).ConfigureAwait(false))
                {
                    Publish(name, mapper);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                HostingLog.Crashed(_logger, name, ex);
            }
        }

        Publish(name, mapper, stopped: true);
    }

    private void Publish(string name, IPortMapper mapper, bool stopped = false)
    {
        if (_mappings.Update(name, mapper, stopped, out var before) is not { } status)
        {
            return;
        }

        if (status.IsNewMapping && status.Mapping is { } mapping)
        {
            HostingLog.Mapped(_logger, name, mapping.PublicEndPoint, mapping.PrivateEndPoint);
        }
        else if (status.State == MappingState.Remapping && before != MappingState.Remapping)
        {
            HostingLog.Remapping(_logger, name, status.LastError);
        }
        else if (status.State == MappingState.Stopped && before != MappingState.Stopped)
        {
            HostingLog.Stopped(_logger, name);
        }

        if (status.State == MappingState.Remapping && before == MappingState.Mapped)
        {
            _metrics.Remapped(name);
        }
    }
}
