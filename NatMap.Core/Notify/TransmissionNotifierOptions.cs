namespace NatMap.Notify;

/// <summary>Settings of a <see cref="TransmissionNotifier"/>; <see cref="PeerPortNotifierOptions.Url"/> is the RPC URL, such as <c>http://127.0.0.1:9091/transmission/rpc</c>.</summary>
public sealed class TransmissionNotifierOptions : PeerPortNotifierOptions
{
}
