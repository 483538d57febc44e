using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.Hosting;

namespace NatMap.Tests.Testbed.Library;

/// <summary>
/// Not a test: like <see cref="LibraryDriver"/>, a program inside the test executable, for
/// NatMap.Hosting. Its arguments are configuration (<c>NatMap:Mappings:0:Name=web</c> ...), bound by
/// <see cref="PortMappingServiceCollectionExtensions.AddPortMapping(IServiceCollection, IConfiguration)"/>
/// in one Generic Host. Each named mapping has its own notifier (a callback, standing in for the
/// built-in notifiers), which prints <c>notified NAME </c> and a <see cref="MappingEvent"/> line for
/// each new mapping of that name only; <c>health STATUS</c> is printed when the health check's status
/// changes. It runs until SIGTERM or SIGINT, then stops the host, prints <c>ended</c> and exits 0.
/// </summary>
internal static class HostingDriver
{
    /// <summary>The hidden first argument of the test executable that runs the driver.</summary>
    public const string Argument = "--natmap-hosting-driver";

    public static int Run(ReadOnlySpan<string> arguments)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var argument in arguments)
        {
            int at = argument.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                Console.Error.WriteLine($"hosting driver: argument '{argument}' is not key=value");
                return 2;
            }

            settings[argument[..at]] = argument[(at + 1)..];
        }

        return LibraryDriver.RunUntilSignalled(stop => RunAsync(settings, stop));
    }

    private static async Task RunAsync(Dictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(new StderrLoggerProvider(Console.Error, LogLevel.Information));
        builder.Services.AddPortMapping(builder.Configuration.GetSection("NatMap"));
        builder.Services.AddHealthChecks().AddPortMappings();
        using var host = builder.Build();
        var mappings = host.Services.GetRequiredService<PortMappings>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var notifiers = mappings.Names.ToDictionary(name => name, name => new Notifier(name));
        var clock = Stopwatch.StartNew();
        await host.StartAsync(cancellationToken);
        Write("watching");
        HealthStatus? last = null;
        try
        {
            await foreach (var status in mappings.WatchAsync(cancellationToken))
            {
                if (status.IsNewMapping)
                {
                    notifiers[status.Name].Notify(status, clock.Elapsed);
                }

                var now = (await health.CheckHealthAsync(cancellationToken)).Status;
                if (now != last)
                {
                    last = now;
                    Write("health " + now);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await host.StopAsync(CancellationToken.None);
    }

    private static void Write(string line) => LibraryDriver.Write(line);

    /// <summary>One mapping's notifier: it hears of its own name's mappings only.</summary>
    private sealed class Notifier(string name)
    {
        public void Notify(PortMappingStatus status, TimeSpan elapsed)
        {
            if (status.Name != name)
            {
                throw new InvalidOperationException($"notifier {name} was handed {status.Name}'s mapping");
            }

            Write("notified " + name + " " + MappingEvent.Format(status.Mapping!, elapsed));
        }
    }
}
