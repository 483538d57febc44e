namespace NatMap.Mapping.Internal;

/// <summary>
/// Which local port to bind next, following the <c>-b</c> spec: any (the OS picks, then the mapper keeps
/// the port it got across re-setups), fixed, sequential (next port on bind failure or re-setup,
/// wrapping round) or random within the range (a new pick each time).
/// </summary>
internal sealed class PortSelector
{
    private readonly PortSpec _spec;
    private readonly Random _random;
    private int _current;

    public PortSelector(PortSpec spec, Random? random = null)
    {
        _spec = spec;
        _random = random ?? Random.Shared;
        _current = spec.Kind switch
        {
            PortSpecKind.Any => 0,
            PortSpecKind.Random => Pick(),
            _ => spec.First,
        };
    }

    /// <summary>The port to bind now (0 = let the OS choose).</summary>
    public int Current => _current;

    /// <summary>How many ports one setup tries before pausing: the whole range, at most 64.</summary>
    public int AttemptsPerSetup => _spec.Kind is PortSpecKind.Sequential or PortSpecKind.Random
        ? Math.Min(_spec.Last - _spec.First + 1, 64)
        : 1;

    /// <summary>Whether a port held by another process may be taken over: only a port the user fixed.</summary>
    public bool MayTakeOver => _spec.Kind == PortSpecKind.Fixed;

    /// <summary>Records the port the OS gave for an any-port spec, so a re-setup keeps it.</summary>
    public void Bound(int port)
    {
        if (_spec.Kind == PortSpecKind.Any)
        {
            _current = port;
        }
    }

    /// <summary>The current port could not be bound.</summary>
    public void BindFailed()
    {
        if (_spec.Kind == PortSpecKind.Any)
        {
            _current = 0;
        }
        else
        {
            Advance();
        }
    }

    /// <summary>The mapping is being set up again after its keep-alive failed.</summary>
    public void Resetup()
    {
        if (_spec.Kind != PortSpecKind.Any)
        {
            Advance();
        }
    }

    private void Advance()
    {
        switch (_spec.Kind)
        {
            case PortSpecKind.Sequential:
                _current = _current >= _spec.Last ? _spec.First : _current + 1;
                break;
            case PortSpecKind.Random when _spec.Last > _spec.First:
                int previous = _current;
                do
                {
                    _current = Pick();
                }
                while (_current == previous);
                break;
        }
    }

    private int Pick() => _random.Next(_spec.First, _spec.Last + 1);
}
