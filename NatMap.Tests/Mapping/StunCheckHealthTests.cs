using System.Net;
using Microsoft.Extensions.Logging;
using NatMap.Mapping.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Mapping;

public sealed class StunCheckHealthTests
{
    private static readonly IPEndPoint Local = IPEndPoint.Parse("192.0.2.2:5555");
    private static readonly IPEndPoint Public = IPEndPoint.Parse("203.0.113.1:45555");

    [Fact]
    public void Failed_OnceThenRecovered_WarningThenInformationNoError()
    {
        var logs = new RecordingLoggerFactory();
        var health = new StunCheckHealth(logs);

        health.Succeeded(Local, Public);
        health.Failed(Local, "No STUN server answered over UDP/IPv4. Tried 203.0.113.2:3478: no answer to 2 request(s) in 0.3 s.");
        health.Succeeded(Local, Public);

        Assert.Equal(
            [(2010, LogLevel.Debug), (2009, LogLevel.Warning), (2010, LogLevel.Debug), (2032, LogLevel.Information)],
            logs.Entries.Select(e => (e.Id.Id, e.Level)));
        Assert.Contains("Tried 203.0.113.2:3478: no answer", logs.Entries[1].Message, StringComparison.Ordinal);
        Assert.Equal("STUN checks from 192.0.2.2:5555 answer again after 1 failed", logs.Entries[3].Message);
        Assert.Equal(0, health.Failures);
    }

    [Fact]
    public void Failed_ManyInARow_OneWarningOneErrorNamingTheServersTheRestDebug()
    {
        var logs = new RecordingLoggerFactory();
        var health = new StunCheckHealth(logs);

        for (int i = 0; i < 10; i++)
        {
            health.Failed(Local, "Tried 203.0.113.2:3478: connection refused.");
        }

        Assert.Equal(10, health.Failures);
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal(2030, error.Id.Id);
        Assert.Equal("No STUN server has answered 3 checks in a row from 192.0.2.2:5555; still retrying. Tried 203.0.113.2:3478: connection refused.", error.Message);
        Assert.Equal(8, logs.Entries.Count(e => e.Level == LogLevel.Debug));
    }
}
