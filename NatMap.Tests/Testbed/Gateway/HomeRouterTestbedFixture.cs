namespace NatMap.Tests.Testbed.Gateway;

using NatMap.Tests.Infrastructure;

/// <summary>
/// One testbed with a home router (miniupnpd) between the lan host and the ISP's full cone, with
/// coturn and nginx, shared by the tests of a class: each leaves miniupnpd running with no mapping.
/// </summary>
public sealed class HomeRouterTestbedFixture : IAsyncLifetime
{
    private Infrastructure.Testbed? _testbed;
    private Exception? _failure;

    internal Infrastructure.Testbed Testbed
    {
        get
        {
            Infrastructure.Testbed.Require(coturn: true, nginx: true);
            Requirements.Command("miniupnpd");
            if (_failure is not null)
            {
                throw new InvalidOperationException("the shared home-router testbed could not be built", _failure);
            }

            return _testbed ?? throw new InvalidOperationException("the shared testbed is not built");
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (!Requirements.IsRoot || RepoPaths.TestbedScript is null)
        {
            return;
        }

        try
        {
            _testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true, homeRouter: true);
            await _testbed.MiniupnpdAsync("start");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failure = ex;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_testbed is not null)
        {
            await _testbed.DisposeAsync();
        }
    }
}
