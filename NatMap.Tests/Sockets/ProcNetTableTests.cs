using System.Net;
using NatMap.Sockets.Internal;

namespace NatMap.Tests.Sockets;

public sealed class ProcNetTableTests
{
    private const string Tcp4 = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:8B5D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 89803 1 00000000adf371df 100 0 0 10 0
           1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 48 1 0000000059c7f6d2 100 0 0 10 0
           2: 0100007F:8B5D 0100007F:C350 06 00000000:00000000 03:00000F8D 00000000     0        0 0 3 0000000000000000
        """;

    private const string Tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
           1: B80D0120000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5678 1 0000000000000000 100 0 0 10 0
        """;

    [Fact]
    public void Parse_Ipv4Table_ReadsEndPointStateUidInode()
    {
        var rows = ProcNetTable.Parse(Tcp4);

        Assert.Equal(3, rows.Count);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0x8B5D), rows[0].LocalEndPoint);
        Assert.Equal(0x0A, rows[0].State);
        Assert.Equal(89803UL, rows[0].Inode);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 2024), rows[1].LocalEndPoint);
        Assert.Equal(1000U, rows[1].Uid);
        Assert.Equal(0UL, rows[2].Inode);
    }

    [Fact]
    public void Parse_Ipv6Table_ReadsWordsInMachineOrder()
    {
        Assert.True(BitConverter.IsLittleEndian, "the sample rows are from a little-endian machine");
        var rows = ProcNetTable.Parse(Tcp6);

        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 22), rows[0].LocalEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 8080), rows[1].LocalEndPoint);
        Assert.Equal(5678UL, rows[1].Inode);
    }

    [Theory]
    [InlineData("127.0.0.1", 80, "127.0.0.1", 80, true)]
    [InlineData("0.0.0.0", 80, "127.0.0.1", 80, true)]
    [InlineData("127.0.0.1", 80, "0.0.0.0", 80, true)]
    [InlineData("127.0.0.1", 80, "127.0.0.2", 80, false)]
    [InlineData("127.0.0.1", 80, "127.0.0.1", 81, false)]
    [InlineData("::", 80, "127.0.0.1", 80, true)]
    [InlineData("::ffff:127.0.0.1", 80, "127.0.0.1", 80, true)]
    [InlineData("::1", 80, "127.0.0.1", 80, false)]
    public void Conflicts_HeldAndWanted_FollowsWildcardRules(string held, int heldPort, string wanted, int wantedPort, bool expected)
    {
        Assert.Equal(expected, ProcNetTable.Conflicts(new IPEndPoint(IPAddress.Parse(held), heldPort), new IPEndPoint(IPAddress.Parse(wanted), wantedPort)));
    }

    [Theory]
    [InlineData("socket:[89803]", true, 89803UL)]
    [InlineData("pipe:[12]", false, 0UL)]
    [InlineData("socket:[]", false, 0UL)]
    [InlineData("/dev/null", false, 0UL)]
    public void TryParseSocketLink_Targets_ReadsInode(string target, bool ok, ulong inode)
    {
        Assert.Equal(ok, PortTakeover.TryParseSocketLink(target, out ulong parsed));
        Assert.Equal(inode, parsed);
    }
}
