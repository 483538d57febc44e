namespace NatMap.Forwarding.Internal;

/// <summary>
/// One direction of a spliced connection: source socket, kernel pipe, destination socket, and
/// how many bytes sit in the pipe. Touched only by the event loop thread.
/// </summary>
internal sealed class SpliceDirection
{
    public SpliceDirection(int source, int destination, bool toTarget)
    {
        Source = source;
        Destination = destination;
        ToTarget = toTarget;
    }

    public int Source { get; }

    public int Destination { get; }

    public bool ToTarget { get; }

    public int PipeRead { get; set; } = -1;

    public int PipeWrite { get; set; } = -1;

    public int Capacity { get; set; }

    public long Pending { get; set; }

    public bool SourceFinished { get; set; }

    public bool ShutdownSent { get; set; }
}
