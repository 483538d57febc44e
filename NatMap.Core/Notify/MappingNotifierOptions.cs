namespace NatMap.Notify;

/// <summary>
/// How a <see cref="MappingNotifier"/> retries: each change is tried up to <see cref="MaxAttempts"/> times,
/// waiting <see cref="RetryDelay"/> after the first failure and twice as long after each further one, at
/// most <see cref="MaxRetryDelay"/>. A newer change ends the retries of an older one at once.
/// </summary>
public class MappingNotifierOptions
{
    /// <summary>Attempts per change, at least 1 (default 5).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the first failed attempt (default 1 s); doubled after each further one.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take before it counts as failed (default 10 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or a time is out of range; <c>ParamName</c> names the property.</exception>
    public virtual void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "At least one attempt is needed.");
        }

        if (RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "The retry delay must be positive and at most MaxRetryDelay.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || AttemptTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "The attempt timeout must be positive and at most a day.");
        }
    }
}
