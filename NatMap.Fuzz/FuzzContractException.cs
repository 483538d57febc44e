namespace NatMap.Fuzz;

/// <summary>A parser broke its contract without throwing by itself (an impossible result); afl-fuzz records it as a crash.</summary>
internal sealed class FuzzContractException(string message) : Exception(message);
