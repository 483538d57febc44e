using NatMap.Sockets.Internal;

namespace NatMap.Tests.Sockets;

public sealed class SocketErrorClassifierTests
{
    [Theory]
    [InlineData(LinuxIo.ECONNRESET, "connection reset")]
    [InlineData(LinuxIo.ECONNABORTED, "connection aborted")]
    [InlineData(LinuxIo.ETIMEDOUT, "timed out")]
    [InlineData(LinuxIo.EPIPE, "broken pipe")]
    [InlineData(LinuxIo.ECONNREFUSED, "connection refused")]
    [InlineData(LinuxIo.ENODEV, "no such device")]
    [InlineData(12345, "errno 12345")]
    public void DescribeErrno_RelayErrors_ReadAsWordsNotNumbers(int errno, string expected)
    {
        Assert.Equal(expected, SocketErrorClassifier.DescribeErrno(errno));
    }
}
