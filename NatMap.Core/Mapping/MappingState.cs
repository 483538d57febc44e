namespace NatMap.Mapping;

/// <summary>Where a port mapper is, as <see cref="IPortMapper.State"/> reports it.</summary>
public enum MappingState
{
    /// <summary>Not mapped yet: the first mapping is being set up (or the mapper has not been watched).</summary>
    Starting,

    /// <summary>Mapped: the last check confirmed <see cref="IPortMapper.Current"/>.</summary>
    Mapped,

    /// <summary>
    /// A mapping was reported, but the keep-alive was lost or the last check failed: the mapper is
    /// setting the mapping up again, or retrying the check. <see cref="IPortMapper.Current"/> is the
    /// last mapping known, which may no longer hold.
    /// </summary>
    Remapping,

    /// <summary>The mapper's watch ended (cancelled, disposed, or stopped by an unexpected error).</summary>
    Stopped,
}
