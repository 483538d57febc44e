using System.Globalization;
using System.Net;
using NatMap.Gateway.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway;

/// <summary>
/// A UPnP Internet Gateway Device client (IGD v1 and v2; WANIPConnection or WANPPPConnection):
/// discovery by SSDP, then AddPortMapping, DeletePortMapping, GetSpecificPortMappingEntry and
/// GetExternalIPAddress. Everything the IGD sends is untrusted: its description is read up to
/// 64 KiB and its SOAP answers up to 16 KiB, as XML without DTDs, and every request has a timeout.
/// </summary>
/// <example>
/// <code>
/// using UpnpIgdClient igd = await UpnpIgdClient.DiscoverAsync(IPAddress.Parse("192.0.2.1"));
/// GatewayMapping granted = await igd.AddPortMappingAsync(MappingProtocol.Tcp, 5555, 5555, TimeSpan.FromHours(1), "my service");
/// await igd.DeletePortMappingAsync(MappingProtocol.Tcp, 5555);
/// </code>
/// </example>
public sealed class UpnpIgdClient : IGatewayPortClient, IDisposable
{
    /// <summary>How long discovery waits for SSDP answers: 2 seconds (the MX the search sends).</summary>
    public static readonly TimeSpan DefaultSearchTime = TimeSpan.FromSeconds(2);

    /// <summary>How long one HTTP request to the IGD may take: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    private const string Description = "natmap";

    private readonly GatewayHttp _http;

    private UpnpIgdClient(GatewayHttp http, Uri location, IgdDescription description, IPAddress gateway, IPAddress internalClient)
    {
        _http = http;
        DescriptionUrl = location;
        ServiceType = description.ServiceType;
        ControlUrl = description.ControlUrl;
        Gateway = gateway;
        InternalClient = internalClient;
    }

    /// <summary>Where the device description was read.</summary>
    public Uri DescriptionUrl { get; }

    /// <summary>The service used, such as <c>urn:schemas-upnp-org:service:WANIPConnection:2</c>.</summary>
    public string ServiceType { get; }

    /// <summary>The service's control URL.</summary>
    public Uri ControlUrl { get; }

    /// <summary>The IGD's address.</summary>
    public IPAddress Gateway { get; }

    /// <summary>This host's address as the IGD sees it: the internal client of the mappings.</summary>
    public IPAddress InternalClient { get; }

    GatewayProtocol IGatewayPortClient.Protocol => GatewayProtocol.Upnp;

    /// <summary>
    /// Finds an IGD with SSDP and reads its description. The answer of <paramref name="gateway"/>
    /// (normally the default route's gateway) is preferred over any other IGD on the LAN, and it is
    /// also searched by unicast, which works without a multicast route.
    /// </summary>
    /// <param name="gateway">The IGD wanted, or <see langword="null"/> to take the first that answers.</param>
    /// <param name="localAddress">The local address to search and connect from, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <returns>A client of the IGD found.</returns>
    /// <exception cref="NatMapException"><see cref="NatMapErrorKind.GatewayUnavailable"/>: no usable IGD answered.</exception>
    public static Task<UpnpIgdClient> DiscoverAsync(IPAddress? gateway = null, IPAddress? localAddress = null, CancellationToken cancellationToken = default) =>
        DiscoverAsync(gateway, localAddress, BoundSocketFactory.Plain, cancellationToken);

    /// <summary>A client of the IGD whose device description is at <paramref name="descriptionUrl"/>.</summary>
    /// <param name="descriptionUrl">An http URL, as an SSDP answer's LOCATION gives it.</param>
    /// <param name="localAddress">The local address to connect from, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The client.</returns>
    /// <exception cref="NatMapException"><see cref="NatMapErrorKind.GatewayUnavailable"/>: the description could not be read or has no usable service.</exception>
    public static Task<UpnpIgdClient> ConnectAsync(Uri descriptionUrl, IPAddress? localAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptionUrl);
        return ConnectAsync(descriptionUrl, localAddress, BoundSocketFactory.Plain, DefaultRequestTimeout, cancellationToken);
    }

    /// <summary>As the public <see cref="DiscoverAsync(IPAddress?, IPAddress?, CancellationToken)"/>, with the SSDP socket and the HTTP connections made by <paramref name="sockets"/>.</summary>
    internal static Task<UpnpIgdClient> DiscoverAsync(IPAddress? gateway, IPAddress? localAddress, BoundSocketFactory sockets, CancellationToken cancellationToken)
    {
        var targets = new List<IPEndPoint> { SsdpSearch.MulticastGroup };
        if (gateway is not null)
        {
            targets.Add(new IPEndPoint(gateway, SsdpSearch.Port));
        }

        return DiscoverAsync(targets, gateway, localAddress, sockets, DefaultSearchTime, DefaultRequestTimeout, cancellationToken);
    }

    internal static async Task<UpnpIgdClient> DiscoverAsync(IReadOnlyList<IPEndPoint> targets, IPAddress? gateway, IPAddress? localAddress, BoundSocketFactory sockets, TimeSpan searchTime, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        IReadOnlyList<Uri> found;
        try
        {
            found = await SsdpSearch.SearchAsync(targets, localAddress, sockets, gateway, searchTime, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return ThrowHelper.Throw<UpnpIgdClient>(NatMapErrorKind.GatewayUnavailable, "UPnP: the SSDP search could not be sent: " + ex.Message, ex);
        }

        if (found.Count == 0)
        {
            return ThrowHelper.Throw<UpnpIgdClient>(NatMapErrorKind.GatewayUnavailable, "UPnP: no IGD answered the SSDP search within " + searchTime.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s");
        }

        NatMapException? first = null;
        foreach (var location in found)
        {
            try
            {
                return await ConnectAsync(location, localAddress, sockets, requestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (NatMapException ex)
            {
                first ??= ex;
            }
        }

        throw first!;
    }

    internal static async Task<UpnpIgdClient> ConnectAsync(Uri location, IPAddress? localAddress, BoundSocketFactory sockets, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        if (location.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(location.Host.Trim('[', ']'), out var gateway))
        {
            return ThrowHelper.Throw<UpnpIgdClient>(NatMapErrorKind.GatewayUnavailable, "UPnP: the description URL " + location + " is not an http URL on an IP address");
        }

        var http = new GatewayHttp(localAddress, sockets, requestTimeout);
        try
        {
            var document = await http.GetAsync(location, IgdDescription.MaxBytes, cancellationToken).ConfigureAwait(false);
            if (IgdDescription.TryParse(document, location, out string reason) is not { } description)
            {
                return ThrowHelper.Throw<UpnpIgdClient>(NatMapErrorKind.GatewayUnavailable, "UPnP: " + location + ": " + reason);
            }

            return new UpnpIgdClient(http, location, description, gateway, http.LocalAddress ?? localAddress ?? IPAddress.Any);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>The IGD's external address (GetExternalIPAddress).</summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The address, or <see langword="null"/> when the IGD gave none (an empty string, as a router does whose own WAN address is private).</returns>
    /// <exception cref="NatMapException"><see cref="NatMapErrorKind.GatewayUnavailable"/> or <see cref="NatMapErrorKind.GatewayRefused"/>.</exception>
    public async Task<IPAddress?> GetExternalIPAddressAsync(CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("GetExternalIPAddress", [], cancellationToken).ConfigureAwait(false);
        ThrowOnFault(result, "GetExternalIPAddress");
        return result.Values.TryGetValue("NewExternalIPAddress", out var text) && IPAddress.TryParse(text, out var address) ? address : null;
    }

    /// <summary>
    /// Forwards <paramref name="externalPort"/> to this host's <paramref name="internalPort"/>
    /// (AddPortMapping). An IGD that takes only permanent leases (error 725,
    /// OnlyPermanentLeasesSupported) is asked again with lease 0; delete such a mapping when done.
    /// </summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="externalPort">The router's port, 1 to 65535.</param>
    /// <param name="internalPort">This host's port, 1 to 65535.</param>
    /// <param name="lease">The lease wanted, in whole seconds, more than zero.</param>
    /// <param name="description">The mapping's description.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The mapping, with the lease granted (zero for permanent).</returns>
    /// <exception cref="NatMapException">
    /// <see cref="NatMapErrorKind.GatewayRefused"/>: the IGD returned an error, such as 718 ConflictInMappingEntry;
    /// <see cref="NatMapErrorKind.GatewayUnavailable"/>: no answer, or a malformed one.
    /// </exception>
    public async Task<GatewayMapping> AddPortMappingAsync(MappingProtocol protocol, int externalPort, int internalPort, TimeSpan lease, string description, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(externalPort, nameof(externalPort), allowZero: false);
        GatewayArguments.CheckPort(internalPort, nameof(internalPort), allowZero: false);
        ArgumentNullException.ThrowIfNull(description);
        uint seconds = GatewayArguments.Seconds(lease, nameof(lease));
        var result = await AddAsync(protocol, externalPort, internalPort, seconds, description, cancellationToken).ConfigureAwait(false);
        if (result.FaultCode == 725)
        {
            seconds = 0;
            result = await AddAsync(protocol, externalPort, internalPort, 0, description, cancellationToken).ConfigureAwait(false);
        }

        ThrowOnFault(result, "AddPortMapping of port " + externalPort);
        return new GatewayMapping(GatewayProtocol.Upnp, Gateway, protocol, internalPort, externalPort, TimeSpan.FromSeconds(seconds), null);
    }

    /// <summary>Removes the forwarding of <paramref name="externalPort"/> (DeletePortMapping).</summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="externalPort">The router's port.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>A task that completes when the IGD confirmed; a mapping already gone (714) counts as deleted.</returns>
    /// <exception cref="NatMapException"><see cref="NatMapErrorKind.GatewayRefused"/> or <see cref="NatMapErrorKind.GatewayUnavailable"/>.</exception>
    public async Task DeletePortMappingAsync(MappingProtocol protocol, int externalPort, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(externalPort, nameof(externalPort), allowZero: false);
        var result = await CallAsync("DeletePortMapping", [Remote, Port(externalPort), Proto(protocol)], cancellationToken).ConfigureAwait(false);
        if (result.FaultCode != 714)
        {
            ThrowOnFault(result, "DeletePortMapping of port " + externalPort);
        }
    }

    /// <summary>The mapping of <paramref name="externalPort"/>, or <see langword="null"/> when there is none (714 NoSuchEntryInArray).</summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="externalPort">The router's port.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The entry or <see langword="null"/>.</returns>
    /// <exception cref="NatMapException"><see cref="NatMapErrorKind.GatewayRefused"/> or <see cref="NatMapErrorKind.GatewayUnavailable"/>.</exception>
    public async Task<UpnpPortMappingEntry?> GetSpecificPortMappingEntryAsync(MappingProtocol protocol, int externalPort, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(externalPort, nameof(externalPort), allowZero: false);
        var result = await CallAsync("GetSpecificPortMappingEntry", [Remote, Port(externalPort), Proto(protocol)], cancellationToken).ConfigureAwait(false);
        if (result.FaultCode == 714)
        {
            return null;
        }

        ThrowOnFault(result, "GetSpecificPortMappingEntry of port " + externalPort);
        var values = result.Values;
        return new UpnpPortMappingEntry(
            values.TryGetValue("NewInternalClient", out var client) && IPAddress.TryParse(client, out var address) ? address : null,
            values.TryGetValue("NewInternalPort", out var port) && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0,
            values.TryGetValue("NewEnabled", out var enabled) && enabled is "1" or "true",
            values.TryGetValue("NewPortMappingDescription", out var text) ? text : "",
            TimeSpan.FromSeconds(values.TryGetValue("NewLeaseDuration", out var lease) && uint.TryParse(lease, NumberStyles.None, CultureInfo.InvariantCulture, out uint l) ? l : 0));
    }

    /// <summary>Closes the HTTP connection to the IGD.</summary>
    public void Dispose() => _http.Dispose();

    async Task<GatewayMapping> IGatewayPortClient.MapAsync(MappingProtocol protocol, int port, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var granted = await AddPortMappingAsync(protocol, port, port, lifetime, Description, cancellationToken).ConfigureAwait(false);
        IPAddress? external = null;
        try
        {
            external = await GetExternalIPAddressAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NatMapException)
        {
            // Only informative: a router behind another NAT often has none it calls "public".
        }

        return granted.WithExternalAddress(external);
    }

    async Task<bool?> IGatewayPortClient.ExistsAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken)
    {
        var entry = await GetSpecificPortMappingEntryAsync(protocol, port, cancellationToken).ConfigureAwait(false);
        return entry is not null && entry.InternalPort == port && (entry.InternalClient is null || entry.InternalClient.Equals(InternalClient));
    }

    Task IGatewayPortClient.DeleteAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken) =>
        DeletePortMappingAsync(protocol, port, cancellationToken);

    private static readonly KeyValuePair<string, string> Remote = new("NewRemoteHost", "");

    private static KeyValuePair<string, string> Port(int port) => new("NewExternalPort", port.ToString(CultureInfo.InvariantCulture));

    private static KeyValuePair<string, string> Proto(MappingProtocol protocol) => new("NewProtocol", protocol == MappingProtocol.Tcp ? "TCP" : "UDP");

    private Task<SoapResult> AddAsync(MappingProtocol protocol, int externalPort, int internalPort, uint seconds, string description, CancellationToken cancellationToken) =>
        CallAsync(
            "AddPortMapping",
            [
                Remote,
                Port(externalPort),
                Proto(protocol),
                new("NewInternalPort", internalPort.ToString(CultureInfo.InvariantCulture)),
                new("NewInternalClient", InternalClient.ToString()),
                new("NewEnabled", "1"),
                new("NewPortMappingDescription", description),
                new("NewLeaseDuration", seconds.ToString(CultureInfo.InvariantCulture)),
            ],
            cancellationToken);

    private async Task<SoapResult> CallAsync(string action, KeyValuePair<string, string>[] arguments, CancellationToken cancellationToken)
    {
        var body = SoapMessage.Build(ServiceType, action, arguments);
        var answer = await _http.PostSoapAsync(ControlUrl, ServiceType, action, body, cancellationToken).ConfigureAwait(false);
        return SoapMessage.TryParse(answer, action, out string reason)
            ?? ThrowHelper.Throw<SoapResult>(NatMapErrorKind.GatewayUnavailable, "UPnP " + action + " at " + ControlUrl + ": " + reason);
    }

    private void ThrowOnFault(SoapResult result, string what)
    {
        if (result.IsFault)
        {
            ThrowHelper.Throw(NatMapErrorKind.GatewayRefused, string.Create(CultureInfo.InvariantCulture, $"UPnP {what} refused by {Gateway}: error {result.FaultCode} {result.FaultDescription}"));
        }
    }
}
