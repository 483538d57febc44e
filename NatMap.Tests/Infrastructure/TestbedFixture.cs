namespace NatMap.Tests.Infrastructure;

/// <summary>
/// A class fixture (<c>IClassFixture&lt;TestbedFixture&gt;</c>) holding one full-cone testbed with
/// coturn and nginx for all tests of a class; xunit runs those one after another, so they may share
/// it as long as each leaves the NAT map and the servers as it found them. When the machine cannot
/// build a testbed, <see cref="Testbed"/> skips (or under CI fails) the test with the reason.
/// </summary>
public sealed class TestbedFixture : IAsyncLifetime
{
    private Testbed? _testbed;
    private Exception? _failure;

    /// <summary>The shared testbed; skips or fails the calling test if it could not be built.</summary>
    internal Testbed Testbed
    {
        get
        {
            Testbed.Require(coturn: true, nginx: true);
            if (_failure is not null)
            {
                throw new InvalidOperationException("the shared testbed could not be built", _failure);
            }

            return _testbed ?? throw new InvalidOperationException("the shared testbed is not built");
        }
    }

    public async ValueTask InitializeAsync()
    {
        // Requirements are checked per test (above), where a skip is allowed; here a missing
        // requirement only means there is nothing to build.
        if (!Requirements.IsRoot || RepoPaths.TestbedScript is null)
        {
            return;
        }

        try
        {
            _testbed = await Testbed.StartAsync(coturn: true, nginx: true);
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
