using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping;

public sealed class HostPortTests
{
    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1", 80, "192.0.2.1")]
    [InlineData("192.0.2.1:8080", "192.0.2.1", 8080, "192.0.2.1:8080")]
    [InlineData("example.test", "example.test", 80, "example.test")]
    [InlineData("[2001:db8::1]:81", "2001:db8::1", 81, "[2001:db8::1]:81")]
    [InlineData("2001:db8::1", "2001:db8::1", 80, "[2001:db8::1]")]
    public void TryParse_Valid_GivesHostPortAndHostHeader(string text, string host, int port, string header)
    {
        Assert.True(HostPort.TryParse(text, HostPort.DefaultHttpPort, out var value, out var error), error);
        Assert.Equal(host, value.Host);
        Assert.Equal(port, value.Port);
        Assert.Equal(header, value.ToHostHeader(HostPort.DefaultHttpPort));
    }

    [Theory]
    [InlineData("")]
    [InlineData(":80")]
    [InlineData("host:0")]
    [InlineData("host:x")]
    [InlineData("[2001:db8::1]80")]
    [InlineData("a b")]
    public void TryParse_Invalid_GivesReason(string text)
    {
        Assert.False(HostPort.TryParse(text, HostPort.DefaultHttpPort, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
