using System.Xml;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The part of an IGD's device description (UPnP Device Architecture 1.1 section 2.3) the client
/// needs: the first WANIPConnection service (v1 or v2), else the first WANPPPConnection, and its
/// control URL resolved against URLBase or the description's own URL.
/// </summary>
internal sealed record IgdDescription(string ServiceType, Uri ControlUrl)
{
    public const int MaxBytes = 64 * 1024;

    private const string IpConnection = "urn:schemas-upnp-org:service:WANIPConnection:";
    private const string PppConnection = "urn:schemas-upnp-org:service:WANPPPConnection:";

    /// <summary>
    /// The service to talk to, or null with the reason. The control URL must be http and on the
    /// description's host: a LAN device cannot point the client's requests anywhere else.
    /// </summary>
    public static IgdDescription? TryParse(ReadOnlyMemory<byte> document, Uri location, out string reason)
    {
        string? urlBase = null;
        (string Type, string Control)? ip = null, ppp = null;
        try
        {
            using var reader = GatewayXml.Create(document, MaxBytes);

            // ReadElementContentAsString and Skip leave the reader on the next node: no Read() after them.
            reader.Read();
            while (!reader.EOF)
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    reader.Read();
                }
                else if (reader.LocalName == "URLBase" && urlBase is null)
                {
                    urlBase = reader.ReadElementContentAsString().Trim();
                }
                else if (reader.LocalName != "service")
                {
                    reader.Read();
                }
                else
                {
                    var (type, control) = ReadService(reader);
                    if (type is null || control is null)
                    {
                        continue;
                    }

                    if (type.StartsWith(IpConnection, StringComparison.Ordinal))
                    {
                        ip ??= (type, control);
                    }
                    else if (type.StartsWith(PppConnection, StringComparison.Ordinal))
                    {
                        ppp ??= (type, control);
                    }
                }
            }
        }
        catch (XmlException ex)
        {
            reason = "the device description is not acceptable XML: " + ex.Message;
            return null;
        }

        if ((ip ?? ppp) is not { } service)
        {
            reason = "the device description has no WANIPConnection or WANPPPConnection service";
            return null;
        }

        var baseUri = location;
        if (!string.IsNullOrEmpty(urlBase) && Uri.TryCreate(urlBase, UriKind.Absolute, out var declared))
        {
            baseUri = declared;
        }

        if (!Uri.TryCreate(baseUri, service.Control, out var controlUrl) || controlUrl.Scheme != Uri.UriSchemeHttp || !string.Equals(controlUrl.Host, location.Host, StringComparison.OrdinalIgnoreCase))
        {
            reason = "the control URL '" + service.Control + "' is not an http URL on " + location.Host;
            return null;
        }

        reason = "";
        return new IgdDescription(service.Type, controlUrl);
    }

    private static (string? Type, string? Control) ReadService(XmlReader reader)
    {
        string? type = null, control = null;
        using (var service = reader.ReadSubtree())
        {
            service.Read();
            while (!service.EOF)
            {
                if (service.NodeType == XmlNodeType.Element && service.LocalName == "serviceType")
                {
                    type = service.ReadElementContentAsString().Trim();
                }
                else if (service.NodeType == XmlNodeType.Element && service.LocalName == "controlURL")
                {
                    control = service.ReadElementContentAsString().Trim();
                }
                else
                {
                    service.Read();
                }
            }
        }

        // The subtree reader leaves the outer one on the service's end tag.
        reader.Read();
        return (type, control);
    }
}
