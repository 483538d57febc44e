using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NatMap.Mapping;

namespace NatMap.Hosting;

/// <summary>
/// The named mappings that <see cref="PortMappingServiceCollectionExtensions.AddPortMapping(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
/// registered: the status of each, and a stream of their changes. A singleton; an ASP.NET Core
/// app can inject it to show the public addresses or to use them.
/// </summary>
public sealed class PortMappings
{
    /// <summary>
    /// The meter of NatMap.Hosting's own instruments, <c>NatMap.Hosting</c>: <c>natmap.hosting.mapped</c>
    /// (observable gauge, 1 while a mapping is mapped, else 0) and <c>natmap.hosting.remappings</c>
    /// (counter of the times a mapping went from mapped to re-mapping), both tagged <c>name</c>. The
    /// mappers' instruments are on NatMap.Core's meter, <see cref="Diagnostics.NatMapMetrics.MeterName"/>.
    /// </summary>
    public const string MeterName = "NatMap.Hosting";

    // A slow reader loses intermediate snapshots, never the latest (as IPortMapper.WatchAsync does).
    private const int WatcherCapacity = 64;

    private readonly object _gate = new();
    private readonly Dictionary<string, PortMappingStatus> _statuses = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly List<ChannelWriter<PortMappingStatus>> _watchers = [];
    private readonly TimeProvider _time;

    internal PortMappings(IEnumerable<string> names, TimeProvider time)
    {
        _time = time;
        var now = time.GetUtcNow();
        foreach (var name in names)
        {
            _names.Add(name);
            _statuses[name] = new PortMappingStatus(name, MappingState.Starting, null, null, now);
        }
    }

    /// <summary>The names of the mappings, in the order they were registered.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The status of every mapping now, in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<PortMappingStatus> Statuses
    {
        get
        {
            lock (_gate)
            {
                return _names.Select(n => _statuses[n]).ToArray();
            }
        }
    }

    /// <summary>The status of the mapping called <paramref name="name"/> now.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>Its latest snapshot.</returns>
    /// <exception cref="KeyNotFoundException">No mapping has that name.</exception>
    public PortMappingStatus this[string name]
    {
        get
        {
            lock (_gate)
            {
                return _statuses.TryGetValue(name, out var status) ? status : throw new KeyNotFoundException($"No port mapping is named '{name}'.");
            }
        }
    }

    /// <summary>
    /// Yields the status of every mapping once (in the order of <see cref="Names"/>), then a new
    /// snapshot each time a mapping or its state changes, until <paramref name="cancellationToken"/>
    /// is cancelled. Watchers may come and go at any time; each has its own queue, and one that reads
    /// slowly loses intermediate snapshots, never the latest.
    /// </summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>The snapshots.</returns>
    public async IAsyncEnumerable<PortMappingStatus> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<PortMappingStatus>(new BoundedChannelOptions(WatcherCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            foreach (var name in _names)
            {
                channel.Writer.TryWrite(_statuses[name]);
            }

            _watchers.Add(channel.Writer);
        }

        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                if (!more)
                {
                    yield break;
                }

                while (channel.Reader.TryRead(out var status))
                {
                    yield return status;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel.Writer);
            }
        }
    }

    /// <summary>Records what <paramref name="mapper"/> says now; returns the snapshot, or null when nothing changed.</summary>
    internal PortMappingStatus? Update(string name, IPortMapper mapper, bool stopped, out MappingState before)
    {
        lock (_gate)
        {
            var old = _statuses[name];
            before = old.State;
            var state = stopped ? MappingState.Stopped : mapper.State;
            var mapping = mapper.Current;
            var error = mapper.LastError;
            bool isNew = mapping is not null && !ReferenceEquals(mapping, old.Mapping) && !mapping.IsSameMapping(old.Mapping);
            if (!isNew && state == old.State && ReferenceEquals(error, old.LastError) && ReferenceEquals(mapping, old.Mapping))
            {
                return null;
            }

            var status = new PortMappingStatus(name, state, mapping, error, state == old.State ? old.Since : _time.GetUtcNow(), isNew);
            _statuses[name] = status;
            foreach (var watcher in _watchers)
            {
                watcher.TryWrite(status);
            }

            return status;
        }
    }
}
