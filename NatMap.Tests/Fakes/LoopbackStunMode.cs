namespace NatMap.Tests.Fakes;

/// <summary>How the responder of a <see cref="LoopbackStunServer"/> treats Binding requests.</summary>
internal enum LoopbackStunMode
{
    /// <summary>RFC 5780 complete: OTHER-ADDRESS, CHANGE-REQUEST and RESPONSE-PORT honoured.</summary>
    Rfc5780,

    /// <summary>Sends OTHER-ADDRESS but answers every request from the socket it reached.</summary>
    IgnoresChangeRequest,

    /// <summary>Answers CHANGE-REQUEST with error 420, as a server with one address does.</summary>
    RejectsChangeRequest,

    /// <summary>Plain RFC 8489 server: no OTHER-ADDRESS.</summary>
    NoOtherAddress,

    /// <summary>Honours CHANGE-REQUEST but answers to the request's source, ignoring RESPONSE-PORT.</summary>
    IgnoresResponsePort,

    /// <summary>Receives and never answers.</summary>
    Silent,
}
