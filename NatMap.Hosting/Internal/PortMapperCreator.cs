using Microsoft.Extensions.Logging;
using NatMap.Mapping;

namespace NatMap.Hosting.Internal;

/// <summary>How the hosted service makes a mapper: <see cref="PortMapper.Create"/>, unless a test registers its own.</summary>
internal sealed class PortMapperCreator
{
    public Func<PortMapperOptions, ILoggerFactory, IPortMapper> Create { get; init; } = PortMapper.Create;
}
