namespace NatMap.Diagnostics.Internal;

/// <summary>How one STUN Binding transaction with one server address ended, for <see cref="NatMapMetrics.StunTransactions"/>.</summary>
internal enum StunOutcome
{
    /// <summary>A success response with a mapped address.</summary>
    Success = 0,

    /// <summary>No answer in time.</summary>
    Timeout = 1,

    /// <summary>A Binding error response.</summary>
    ErrorResponse = 2,

    /// <summary>An answer that was not a usable response, or a stream cut short.</summary>
    Malformed = 3,

    /// <summary>A socket error: refused, unreachable, reset.</summary>
    Unreachable = 4,
}
