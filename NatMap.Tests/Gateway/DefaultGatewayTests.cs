using System.Net;
using NatMap.Gateway.Internal;

namespace NatMap.Tests.Gateway;

public sealed class DefaultGatewayTests
{
    // /proc/net/route as a little-endian host prints it: 198.51.100.1 is 016433C6.
    private const string Header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    [Fact]
    public void FromRouteTable_StaticRouteListedFirst_TakesTheDefaultRoute()
    {
        string routes = Routes(
            "lan0\t0000000A\tFE6433C6\t0003\t0\t0\t0\t000000FF\t0\t0\t0\n",
            "lan0\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
            "lan0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");

        Assert.Equal(IPAddress.Parse("198.51.100.1"), DefaultGateway.FromRouteTable(routes, "lan0"));
    }

    [Fact]
    public void FromRouteTable_OnlyTheNamedInterface_NotOneWhoseNameItStarts()
    {
        string routes = Routes(
            "lan10\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
            "lan1\t00000000\t016433C6\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");

        Assert.Equal(IPAddress.Parse("198.51.100.1"), DefaultGateway.FromRouteTable(routes, "lan1"));
        Assert.Equal(IPAddress.Parse("192.0.2.1"), DefaultGateway.FromRouteTable(routes, "lan10"));
        Assert.Null(DefaultGateway.FromRouteTable(routes, "lan"));
    }

    [Fact]
    public void FromRouteTable_TwoDefaultRoutes_LowestMetricWins()
    {
        string routes = Routes(
            "wan0\t00000000\t010200C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n",
            "wan0\t00000000\t016433C6\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");

        Assert.Equal(IPAddress.Parse("198.51.100.1"), DefaultGateway.FromRouteTable(routes, "wan0"));
    }

    [Theory]
    [InlineData("lan0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")]
    [InlineData("lan0\t00000000\t016433C6\t0002\t0\t0\t0\t00000000\t0\t0\t0\n")]
    [InlineData("lan0\t00000000\t016433C6\t0003\t0\t0\t0\n")]
    [InlineData("lan0\t00000000\tnot-hex!\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")]
    public void FromRouteTable_NoUsableDefaultRoute_Null(string route)
    {
        Assert.Null(DefaultGateway.FromRouteTable(Routes(route), "lan0"));
    }

    private static string Routes(params string[] lines)
    {
        Assert.SkipUnless(BitConverter.IsLittleEndian, "the table is written as a little-endian host prints it");
        return Header + string.Concat(lines);
    }
}
