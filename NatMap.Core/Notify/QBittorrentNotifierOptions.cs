namespace NatMap.Notify;

/// <summary>Settings of a <see cref="QBittorrentNotifier"/>; <see cref="PeerPortNotifierOptions.Url"/> is the Web UI's base URL, such as <c>http://127.0.0.1:8080/</c>.</summary>
public sealed class QBittorrentNotifierOptions : PeerPortNotifierOptions
{
}
