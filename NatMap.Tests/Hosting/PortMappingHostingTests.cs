using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NatMap.Hosting;
using NatMap.Hosting.Internal;
using NatMap.Mapping;
using NatMap.Tests.Diagnostics;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Hosting;

public sealed class PortMappingHostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public void AddPortMapping_TwoEntries_BindsEachOntoItsNamedOptions()
    {
        using var provider = Services(new()
        {
            ["NatMap:Mappings:0:Name"] = "web",
            ["NatMap:Mappings:0:HttpServer"] = "192.0.2.80:8080",
            ["NatMap:Mappings:0:StunServers:0"] = "192.0.2.1",
            ["NatMap:Mappings:0:StunServers:1"] = "stun.example.org:3479",
            ["NatMap:Mappings:0:Port"] = "5000-5009",
            ["NatMap:Mappings:0:TargetHost"] = "192.0.2.10",
            ["NatMap:Mappings:0:TargetPort"] = "80",
            ["NatMap:Mappings:1:Name"] = "game",
            ["NatMap:Mappings:1:Protocol"] = "udp",
            ["NatMap:Mappings:1:AddressFamily"] = "IPv6",
            ["NatMap:Mappings:1:BindAddress"] = "2001:db8::2",
            ["NatMap:Mappings:1:StunServers:0"] = "[2001:db8::1]:3478",
            ["NatMap:Mappings:1:KeepAliveInterval"] = "00:00:20",
            ["NatMap:Mappings:1:FirewallMark"] = "7",
        }).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<PortMapperOptions>>();
        var web = options.Get("web");
        var game = options.Get("game");

        Assert.Equal(["web", "game"], provider.GetRequiredService<PortMappings>().Names);
        Assert.Equal(MappingProtocol.Tcp, web.Protocol);
        Assert.Equal("192.0.2.80:8080", web.HttpServer);
        Assert.Equal(["192.0.2.1:3478", "stun.example.org:3479"], web.StunServers.Select(s => s.ToString()));
        Assert.Equal(PortSpec.Parse("5000-5009"), web.Port);
        Assert.Equal(("192.0.2.10", 80), (web.TargetHost, web.TargetPort));
        Assert.Equal(MappingProtocol.Udp, game.Protocol);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, game.AddressFamily);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), game.BindAddress);
        Assert.Equal(TimeSpan.FromSeconds(20), game.KeepAliveInterval);
        Assert.Equal(7u, game.FirewallMark);
        web.Validate();
        game.Validate();
    }

    [Theory]
    [InlineData("Port", "70000", "port mapping 'bad': Port: ")]
    [InlineData("BindAddress", "not-an-address", "port mapping 'bad': BindAddress: 'not-an-address' is not an IP address")]
    [InlineData("Protocol", "sctp", "port mapping 'bad': Protocol: 'sctp' is not a protocol")]
    [InlineData("TargetPort", "70000", "port mapping 'bad': TargetPort: target port 70000 is out of range")]
    [InlineData("RetryDelay", "-00:00:01", "port mapping 'bad': RetryDelay: retry delay -1 s is invalid")]
    public async Task StartAsync_InvalidEntry_FailsNamingTheMappingAndTheKey(string key, string value, string expected)
    {
        using var host = Host(new()
        {
            ["NatMap:Mappings:0:Name"] = "good",
            ["NatMap:Mappings:0:Protocol"] = "udp",
            ["NatMap:Mappings:0:StunServers:0"] = "192.0.2.1",
            ["NatMap:Mappings:1:Name"] = "bad",
            ["NatMap:Mappings:1:Protocol"] = "udp",
            ["NatMap:Mappings:1:StunServers:0"] = "192.0.2.1",
            ["NatMap:Mappings:1:" + key] = value,
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith(expected, Assert.Single(ex.Failures));
        Assert.DoesNotContain("(Parameter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPortMapping_EntryWithoutName_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Services(new() { ["NatMap:Mappings:0:Protocol"] = "udp" }));
        Assert.Contains("Mappings:0 has no Name", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddPortMapping("a", _ => { }).AddPortMapping("a", _ => { }));
    }

    [Fact]
    public async Task Host_TwoUdpMappings_MappedHealthyThenDegradedWhileChecksFailThenUnhealthyWhenStopped()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        var logs = new ConcurrentQueue<(string Category, EventId Id, string Message)>();
        using var metrics = new MetricsRecorder(PortMappings.MeterName);
        var settings = new Dictionary<string, string?>();
        foreach (var (i, name) in new[] { (0, "alpha"), (1, "beta") })
        {
            settings[$"NatMap:Mappings:{i}:Name"] = name;
            settings[$"NatMap:Mappings:{i}:Protocol"] = "udp";
            settings[$"NatMap:Mappings:{i}:BindAddress"] = "127.0.0.1";
            settings[$"NatMap:Mappings:{i}:StunServers:0"] = stun.Text;
            settings[$"NatMap:Mappings:{i}:KeepAliveInterval"] = "00:00:00.100";
            settings[$"NatMap:Mappings:{i}:RetryDelay"] = "00:00:00.050";
            settings[$"NatMap:Mappings:{i}:MaxRetryDelay"] = "00:00:00.100";
        }

        using var host = Host(settings, logs);
        var mappings = host.Services.GetRequiredService<PortMappings>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using var watch = mappings.WatchAsync(watchStop.Token).GetAsyncEnumerator(watchStop.Token);
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Status);

        await host.StartAsync(TestContext.Current.CancellationToken);

        // Each condition is judged on the live status after each snapshot: a check that failed once
        // under load (short STUN timeouts) is followed by more snapshots, so it cannot pass stale.
        HealthReport report = null!;
        IReadOnlyList<RecordedMeasurement> gauges = [];
        await UntilAsync(watch, async () =>
        {
            report = await health.CheckHealthAsync(TestContext.Current.CancellationToken);
            gauges = metrics.Collect();
            return mappings.Statuses.All(x => x.State == MappingState.Mapped) && report.Status == HealthStatus.Healthy
                && MetricsRecorder.Observed(gauges, "natmap.hosting.mapped", ("name", "alpha")) == 1;
        });
        foreach (var status in mappings.Statuses)
        {
            Assert.Equal(IPAddress.Parse("203.0.113.7"), status.Mapping!.PublicEndPoint.Address);
            Assert.Equal(status.Mapping.PrivateEndPoint.Port + 500, status.Mapping.PublicEndPoint.Port);
            Assert.Equal("mapped " + status.Mapping.PublicEndPoint, report.Entries["natmap"].Data[status.Name]);
        }

        Assert.NotEqual(mappings["alpha"].Mapping!.PrivateEndPoint, mappings["beta"].Mapping!.PrivateEndPoint);

        // Nothing answers any more, so nothing can recover: Remapping is final until Answering returns.
        stun.Answering = false;
        await UntilAsync(watch, () => Task.FromResult(mappings.Statuses.All(x => x.State == MappingState.Remapping)));
        report = await health.CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.StartsWith("alpha: remapping (", report.Entries["natmap"].Description, StringComparison.Ordinal);
        Assert.Contains("; beta: remapping (", report.Entries["natmap"].Description, StringComparison.Ordinal);
        // The counter is added just after the status is published (same thread, no further change to
        // wake the watch), so it is waited for rather than read at once.
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10); metrics.PushedSum("natmap.hosting.remappings", ("name", "beta")) < 1 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.True(metrics.PushedSum("natmap.hosting.remappings", ("name", "beta")) >= 1);
        Assert.Equal(0, MetricsRecorder.Observed(metrics.Collect(), "natmap.hosting.mapped", ("name", "beta")));

        stun.Answering = true;
        await UntilAsync(watch, () => Task.FromResult(mappings.Statuses.All(x => x.State == MappingState.Mapped)));
        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.All(mappings.Statuses, s => Assert.Equal(MappingState.Stopped, s.State));
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Status);

        // The mappers and the host log through the host's providers, NatMap.Core's lines included.
        Assert.Contains(logs, l => l.Category == "NatMap.Hosting" && l.Id.Id == 7001 && l.Message.StartsWith("Port mapping alpha: 203.0.113.7:", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Category == "NatMap.Hosting" && l.Id.Id == 7002 && l.Message.StartsWith("Port mapping beta: re-mapping (", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Category == "NatMap.Mapping.PortMapper" && l.Id.Id == 2000 && l.Message.Contains("NatMapName:beta", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HealthCheck_EachState_MapsToItsStatus()
    {
        var mappings = new PortMappings(["a", "b"], TimeProvider.System);
        var check = new PortMappingHealthCheck(mappings);
        var a = new StateMapper();
        var b = new StateMapper();

        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync()).Status);
        a.Set(MappingState.Mapped, Mapping(1000));
        b.Set(MappingState.Mapped, Mapping(1001));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
        b.Set(MappingState.Remapping, b.Current, "keep-alive lost");
        var degraded = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal("b: remapping (keep-alive lost)", degraded.Description);
        Assert.Equal("remapping 203.0.113.1:1001", degraded.Data["b"]);
        Assert.True(mappings.Update("a", a, stopped: true, out _) is { State: MappingState.Stopped });
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken)).Status);

        async Task<HealthCheckResult> CheckAsync()
        {
            mappings.Update("a", a, stopped: false, out _);
            mappings.Update("b", b, stopped: false, out _);
            return await check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task WatchAsync_LateWatcher_GetsEveryCurrentStatusFirstAndOnlyNewMappingsAreFlagged()
    {
        var mappings = new PortMappings(["a"], TimeProvider.System);
        var mapper = new StateMapper();
        mapper.Set(MappingState.Mapped, Mapping(1000));
        Assert.True(mappings.Update("a", mapper, stopped: false, out var before)!.IsNewMapping);
        Assert.Equal(MappingState.Starting, before);
        mapper.Set(MappingState.Remapping, mapper.Current, "timed out");
        Assert.False(mappings.Update("a", mapper, stopped: false, out _)!.IsNewMapping);
        Assert.Null(mappings.Update("a", mapper, stopped: false, out _));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using var watch = mappings.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal((MappingState.Remapping, "timed out"), (watch.Current.State, watch.Current.LastError));
        mapper.Set(MappingState.Mapped, Mapping(1002));
        mappings.Update("a", mapper, stopped: false, out _);
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.True(watch.Current.IsNewMapping);
        Assert.Equal(1002, watch.Current.Mapping!.PublicEndPoint.Port);
        await stop.CancelAsync();
        Assert.False(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    private static MappingChanged Mapping(int port) =>
        new(MappingProtocol.Udp, new IPEndPoint(IPAddress.Parse("203.0.113.1"), port), new IPEndPoint(IPAddress.Parse("192.0.2.2"), 5555));

    private static IServiceCollection Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddPortMapping(configuration.GetSection("NatMap"));
    }

    private static IHost Host(Dictionary<string, string?> settings, ConcurrentQueue<(string, EventId, string)>? logs = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
        {
            builder.Logging.AddProvider(new QueueLoggerProvider(logs));
        }

        // Mappers as PortMapper.Create builds them, with the tests' short STUN timeouts.
        builder.Services.AddSingleton(new PortMapperCreator { Create = (options, loggerFactory) => MapperHarness.Create(options, loggerFactory) });
        builder.Services.AddPortMapping(builder.Configuration.GetSection("NatMap"));
        builder.Services.AddHealthChecks().AddPortMappings();
        return builder.Build();
    }

    /// <summary>Reads snapshots until <paramref name="done"/>, judged after each one, holds.</summary>
    private static async Task UntilAsync(IAsyncEnumerator<PortMappingStatus> watch, Func<Task<bool>> done)
    {
        do
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken), "the status stream ended");
        }
        while (!await done());
    }

    /// <summary>A mapper whose state the test sets.</summary>
    private sealed class StateMapper : IPortMapper
    {
        public MappingChanged? Current { get; private set; }

        public MappingState State { get; private set; }

        public string? LastError { get; private set; }

        public void Set(MappingState state, MappingChanged? current, string? error = null) => (State, Current, LastError) = (state, current, error ?? LastError);

        public IAsyncEnumerable<MappingChanged> WatchAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A host logging provider that keeps category, event id and message, scopes included in the message.</summary>
    private sealed class QueueLoggerProvider(ConcurrentQueue<(string, EventId, string)> logs) : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConcurrentQueue<(string, EventId, string)> _logs = logs;
        private IExternalScopeProvider? _scopes;

        public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class QueueLogger(string category, QueueLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider._scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<string>();
                provider._scopes?.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
                provider._logs.Enqueue((category, eventId, formatter(state, exception) + (scopes.Count > 0 ? " [" + string.Join(", ", scopes) + "]" : "")));
            }
        }
    }
}
