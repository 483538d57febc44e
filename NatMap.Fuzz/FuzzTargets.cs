namespace NatMap.Fuzz;

/// <summary>The MODE argument: which parser a run feeds.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = ["stun", "text", "gateway", "nftables"];

    public static Action<Stream>? Find(string mode) => mode switch
    {
        "stun" => StunTarget.Run,
        "text" => TextTarget.Run,
        "gateway" => GatewayTarget.Run,
        "nftables" => NftablesTarget.Run,
        _ => null,
    };
}
