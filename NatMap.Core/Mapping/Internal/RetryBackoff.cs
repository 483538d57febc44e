namespace NatMap.Mapping.Internal;

/// <summary>Pauses between failed setups: doubling from the retry delay up to the cap, reset by a success.</summary>
internal sealed class RetryBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public RetryBackoff(TimeSpan initial, TimeSpan max)
    {
        _initial = initial;
        _max = max < initial ? initial : max;
        _next = initial;
    }

    /// <summary>The pause to take now; the following one is twice as long, up to the cap.</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        _next = _next >= _max / 2 ? _max : _next * 2;
        return delay;
    }

    /// <summary>After a success, the next failure waits the initial delay again.</summary>
    public void Reset() => _next = _initial;
}
