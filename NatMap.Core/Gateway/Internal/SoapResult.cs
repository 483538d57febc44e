namespace NatMap.Gateway.Internal;

/// <summary>The outcome of a SOAP action: the response's arguments, or a UPnP error (UPnP Device Architecture 1.1 section 3.2).</summary>
internal sealed record SoapResult(IReadOnlyDictionary<string, string> Values, int FaultCode, string? FaultDescription)
{
    public bool IsFault => FaultCode != 0;
}
