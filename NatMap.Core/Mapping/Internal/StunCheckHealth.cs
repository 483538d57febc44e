using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Mapping.Internal;

/// <summary>
/// How loud a failed STUN check is. A check that fails once and recovers at the next (a server
/// restarting) is a warning; failures that go on are an error, said once, naming every server tried
/// and why; the checks in between, and a steady state, stay at debug level so that <c>-k 1</c> does
/// not write a line a second.
/// </summary>
internal sealed class StunCheckHealth
{
    /// <summary>Failed checks in a row that make an outage an error rather than a passing fault.</summary>
    public const int ErrorAfter = 3;

    private readonly ILogger _logger;
    private int _failures;

    public StunCheckHealth(ILogger logger) => _logger = logger;

    /// <summary>Failed checks in a row so far.</summary>
    public int Failures => _failures;

    public void Failed(EndPoint localEndPoint, string reason)
    {
        _failures++;
        if (_failures == 1)
        {
            MappingLog.StunCheckFailed(_logger, localEndPoint, reason);
        }
        else if (_failures == ErrorAfter)
        {
            MappingLog.StunChecksFailing(_logger, _failures, localEndPoint, reason);
        }
        else
        {
            MappingLog.StunCheckFailedAgain(_logger, localEndPoint, _failures, reason);
        }
    }

    public void Succeeded(EndPoint localEndPoint, IPEndPoint publicEndPoint)
    {
        MappingLog.StunChecked(_logger, localEndPoint, publicEndPoint);
        if (_failures > 0)
        {
            MappingLog.StunChecksRecovered(_logger, localEndPoint, _failures);
            _failures = 0;
        }
    }
}
