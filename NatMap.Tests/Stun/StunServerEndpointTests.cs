using NatMap.Stun;

namespace NatMap.Tests.Stun;

public sealed class StunServerEndpointTests
{
    [Theory]
    [InlineData("stun.example.org", "stun.example.org", 3478, "stun.example.org:3478")]
    [InlineData("stun.example.org:19302", "stun.example.org", 19302, "stun.example.org:19302")]
    [InlineData("localhost", "localhost", 3478, "localhost:3478")]
    [InlineData("203.0.113.2", "203.0.113.2", 3478, "203.0.113.2:3478")]
    [InlineData("203.0.113.2:3479", "203.0.113.2", 3479, "203.0.113.2:3479")]
    [InlineData("[2001:db8::2]:3478", "2001:db8::2", 3478, "[2001:db8::2]:3478")]
    [InlineData("[2001:db8::2]:1", "2001:db8::2", 1, "[2001:db8::2]:1")]
    [InlineData("[::1]", "::1", 3478, "[::1]:3478")]
    [InlineData("2001:db8::2", "2001:db8::2", 3478, "[2001:db8::2]:3478")]
    [InlineData("::1", "::1", 3478, "[::1]:3478")]
    [InlineData("stun-1.example:65535", "stun-1.example", 65535, "stun-1.example:65535")]
    public void Parse_Valid_HostPortAndText(string text, string host, int port, string formatted)
    {
        var server = StunServerEndpoint.Parse(text);
        Assert.Equal(host, server.Host);
        Assert.Equal(port, server.Port);
        Assert.Equal(formatted, server.ToString());

        var again = StunServerEndpoint.Parse(server.ToString());
        Assert.Equal(server.Host, again.Host);
        Assert.Equal(server.Port, again.Port);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(" stun.example.org")]
    [InlineData("stun.example.org ")]
    [InlineData("stun.example.org:")]
    [InlineData("stun.example.org:0")]
    [InlineData("stun.example.org:65536")]
    [InlineData("stun.example.org:-1")]
    [InlineData("stun.example.org:+1")]
    [InlineData("stun.example.org:abc")]
    [InlineData("stun.example.org:3478:1")]
    [InlineData(":3478")]
    [InlineData("[::1")]
    [InlineData("[::1]:")]
    [InlineData("[::1]3478")]
    [InlineData("[::1]:x")]
    [InlineData("[::1]]:3478")]
    [InlineData("[203.0.113.2]:3478")]
    [InlineData("[stun.example.org]:3478")]
    [InlineData("[]:3478")]
    [InlineData("2001:db8::g")]
    [InlineData("stun example.org")]
    [InlineData("stun_example/org")]
    [InlineData("300.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1")]
    public void TryParse_Invalid_False(string? text)
    {
        Assert.False(StunServerEndpoint.TryParse(text, out var server));
        Assert.Null(server);
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => StunServerEndpoint.Parse(text));
        }
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StunServerEndpoint("stun.example.org", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StunServerEndpoint("stun.example.org", 65536));
        Assert.Throws<ArgumentException>(() => new StunServerEndpoint(""));
        Assert.Throws<ArgumentException>(() => new StunServerEndpoint("[::1]"));
        Assert.Throws<ArgumentException>(() => new StunServerEndpoint("a b"));
        Assert.Equal("[2001:db8::1]:3478", new StunServerEndpoint("2001:db8::1").ToString());
        Assert.Equal(3478, StunServerEndpoint.DefaultPort);
    }
}
