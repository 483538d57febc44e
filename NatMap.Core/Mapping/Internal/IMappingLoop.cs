namespace NatMap.Mapping.Internal;

/// <summary>One protocol's way of keeping a mapping open: runs until cancelled, retrying every network fault.</summary>
internal interface IMappingLoop
{
    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    Task RunAsync(IMappingSink sink, CancellationToken cancellationToken);
}
