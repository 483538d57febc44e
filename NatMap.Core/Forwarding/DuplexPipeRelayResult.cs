namespace NatMap.Forwarding;

/// <summary>What <see cref="DuplexPipeRelay.RelayAsync"/> moved: the byte count of each direction.</summary>
public sealed class DuplexPipeRelayResult
{
    internal DuplexPipeRelayResult(long firstToSecond, long secondToFirst)
    {
        FirstToSecond = firstToSecond;
        SecondToFirst = secondToFirst;
    }

    /// <summary>Bytes read from the first pipe's input and written to the second pipe's output.</summary>
    public long FirstToSecond { get; }

    /// <summary>Bytes read from the second pipe's input and written to the first pipe's output.</summary>
    public long SecondToFirst { get; }
}
