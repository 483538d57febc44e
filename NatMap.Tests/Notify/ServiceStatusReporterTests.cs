using System.Net;
using System.Text.Json;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Tests.Notify;

/// <summary>The library's status reporter on its own, over a mapper whose state the test sets.</summary>
public sealed class ServiceStatusReporterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("natmap-status-").FullName;

    [Fact]
    public async Task StartStateChangeUpdateStop_FileFollowsTheMapper()
    {
        string path = Path.Combine(_folder, "status.json");
        var mapper = new SettableMapper();
        var options = new PortMapperOptions { Protocol = MappingProtocol.Udp, TargetHost = "192.0.2.10", TargetPort = 0 };
        using var reporter = new ServiceStatusReporter(mapper, options, new ServiceStatusOptions { StatusFile = path, Name = "game", NotifyServiceManager = false });
        Assert.True(reporter.IsActive);
        Assert.False(File.Exists(path));

        reporter.Start();
        Assert.Equal("starting", Read(path).GetProperty("state").GetString());

        // A state change reaches the file through the mapper's event, without Update.
        mapper.Set(MappingState.Remapping, null, "STUN check failed");
        var remapping = Read(path);
        Assert.Equal("remapping", remapping.GetProperty("state").GetString());
        Assert.Equal("STUN check failed", remapping.GetProperty("lastError").GetString());

        mapper.Current = new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));
        mapper.State = MappingState.Mapped;
        mapper.LastError = null;
        reporter.Update();
        var mapped = Read(path);
        Assert.Equal("mapped", mapped.GetProperty("state").GetString());
        Assert.Equal(45555, mapped.GetProperty("publicPort").GetInt32());
        Assert.Equal("game", mapped.GetProperty("name").GetString());
        Assert.Equal("relay", mapped.GetProperty("forwardMethod").GetString());
        Assert.Equal(45555, mapped.GetProperty("targetPort").GetInt32());

        await mapper.DisposeAsync();
        reporter.Stop();
        Assert.Equal("stopped", Read(path).GetProperty("state").GetString());

        // After Stop the mapper's events no longer write.
        mapper.Set(MappingState.Remapping, null, "late");
        Assert.Equal("stopped", Read(path).GetProperty("state").GetString());
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Create_NothingToReport_IsInactiveAndWritesNothing()
    {
        var mapper = new SettableMapper();
        using var reporter = new ServiceStatusReporter(mapper, new PortMapperOptions(), new ServiceStatusOptions { NotifyServiceManager = false });

        reporter.Start();
        mapper.Set(MappingState.Remapping, null, "x");
        reporter.Stop();

        Assert.False(reporter.IsActive);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Theory]
    [InlineData("a b", null, "Name")]
    [InlineData(null, "/nonexistent-natmap-folder/status.json", "StatusFile")]
    [InlineData(null, "/tmp/", "StatusFile")]
    public void Create_BadOptions_ArgumentExceptionNamingTheProperty(string? name, string? file, string property)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceStatusReporter(new SettableMapper(), new PortMapperOptions(), new ServiceStatusOptions { Name = name, StatusFile = file }));
        Assert.Equal(property, ex.ParamName);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static JsonElement Read(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private sealed class SettableMapper : IPortMapper
    {
        public event EventHandler? StateChanged;

        public MappingChanged? Current { get; set; }

        public MappingState State { get; set; } = MappingState.Starting;

        public string? LastError { get; set; }

        public void Set(MappingState state, MappingChanged? current, string? error)
        {
            (State, Current, LastError) = (state, current ?? Current, error);
            StateChanged?.Invoke(this, EventArgs.Empty);
        }

        public IAsyncEnumerable<MappingChanged> WatchAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
