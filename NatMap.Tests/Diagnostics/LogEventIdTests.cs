using System.Reflection;
using Microsoft.Extensions.Logging;

namespace NatMap.Tests.Diagnostics;

/// <summary>Log event ids are a contract: one id names one message, across the library, the host and the CLI.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void LoggerMessages_LibraryHostingAndCli_EachIdUsedOnce()
    {
        var assemblies = new[] { typeof(NatMap.Mapping.PortMapper).Assembly, typeof(NatMap.Hosting.PortMappings).Assembly, typeof(NatMap.Cli.ExitCodes).Assembly };
        var messages = assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m.DeclaringType!.Name + "." + m.Name, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 100, $"only {messages.Count} logger messages found");
        var shared = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => g.Key + ": " + string.Join(", ", g.Select(m => m.Method))).ToList();
        Assert.Empty(shared);
    }
}
