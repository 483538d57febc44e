using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// Settings shared by the BitTorrent client notifiers (<see cref="TransmissionNotifier"/>,
/// <see cref="QBittorrentNotifier"/>), which set the port the client's peer traffic arrives on.
/// </summary>
/// <remarks>
/// Which port that is depends on how the mapping reaches the client. In bind mode
/// (<see cref="ForwardTargetPort"/> <see langword="null"/>) the client listens on the mapped private port
/// itself, and peers must be told the public port. When the mapper forwards to the client, the client
/// listens on the forward target port; with target port 0 (the CLI's <c>-p 0</c>) that is the public
/// port, which peers then learn as it is.
/// </remarks>
public abstract class PeerPortNotifierOptions : MappingNotifierOptions
{
    /// <summary>The client's Web UI or RPC URL (http or https). User information in it is the login, never logged.</summary>
    public Uri? Url { get; set; }

    /// <summary>The login name; when set, it and <see cref="Password"/> take the place of the URL's user information.</summary>
    public string? UserName { get; set; }

    /// <summary>The password for <see cref="UserName"/>; never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// The mapper's forward target port (<see cref="Mapping.PortMapperOptions.TargetPort"/>) when it forwards to
    /// the client, 0 meaning the public port; <see langword="null"/> (the default) in bind mode.
    /// </summary>
    public int? ForwardTargetPort { get; set; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><see cref="Url"/> is missing or not http(s), or <see cref="ForwardTargetPort"/> is out of range.</exception>
    public override void Validate()
    {
        base.Validate();
        NotifierUrls.CheckHttp(Url, nameof(Url));
        if (ForwardTargetPort is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(ForwardTargetPort), ForwardTargetPort, "The forward target port must be 0 (the public port) to 65535.");
        }
    }
}
