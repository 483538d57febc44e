using System.Net;

namespace NatMap.Stun.Internal;

/// <summary>
/// How a <see cref="StunExchange"/> ended: with an answer (<see cref="Accepted"/> is
/// <see cref="StunAcceptResult.Success"/>, <see cref="StunAcceptResult.ErrorResponse"/> or
/// <see cref="StunAcceptResult.UnknownRequiredAttribute"/>), or with <see cref="Failure"/> saying why not.
/// </summary>
internal readonly record struct StunExchangeResult(StunAcceptResult Accepted, StunBindingResponse? Response, IPEndPoint? Source, string? Failure)
{
    public bool Answered => Failure is null;

    public static StunExchangeResult Failed(string failure) => new(StunAcceptResult.Malformed, null, null, failure);
}
