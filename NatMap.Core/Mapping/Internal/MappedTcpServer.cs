using System.Threading.Channels;
using NatMap.Forwarding;

namespace NatMap.Mapping.Internal;

/// <summary>
/// <see cref="IMappedTcpServer"/>: a mapper (running a <see cref="TcpForwardingLoop"/> whose
/// forwarder serves in-process) and the queue its connections wait in until accepted. The queue
/// is unbounded, but never holds more than the connection limit: every queued connection is
/// counted by its forwarder.
/// </summary>
internal sealed class MappedTcpServer : IMappedTcpServer
{
    private readonly Channel<TcpPipeConnection> _queue = Channel.CreateUnbounded<TcpPipeConnection>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private IPortMapper? _mapper;
    private int _disposed;

    public MappingChanged? Current => Mapper.Current;

    public MappingState State => Mapper.State;

    public string? LastError => Mapper.LastError;

    public event EventHandler? StateChanged
    {
        add => Mapper.StateChanged += value;
        remove => Mapper.StateChanged -= value;
    }

    private IPortMapper Mapper => _mapper ?? throw new InvalidOperationException("The server has no mapper.");

    /// <summary>Takes the mapper, whose forwarders hand their connections to <see cref="Enqueue"/>.</summary>
    public void Attach(IPortMapper mapper) => _mapper = mapper;

    /// <summary>Queues a connection the forwarder accepted; closes it when the server is disposed.</summary>
    public void Enqueue(TcpPipeConnection connection)
    {
        if (!_queue.Writer.TryWrite(connection))
        {
            _ = connection.DisposeAsync().AsTask();
        }
    }

    public IAsyncEnumerable<MappingChanged> WatchAsync(CancellationToken cancellationToken = default) => Mapper.WatchAsync(cancellationToken);

    public async ValueTask<TcpPipeConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_queue.Reader.TryRead(out var connection))
            {
                if (!connection.IsClosed)
                {
                    return connection;
                }

                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        throw new ObjectDisposedException(GetType().FullName);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        if (_mapper is not null)
        {
            await _mapper.DisposeAsync().ConfigureAwait(false);
        }

        while (_queue.Reader.TryRead(out var connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
