using System.Security;
using System.Text;
using System.Xml;

namespace NatMap.Gateway.Internal;

/// <summary>SOAP 1.1 envelopes of UPnP control: the request written, the answer read with <see cref="GatewayXml"/>.</summary>
internal static class SoapMessage
{
    public const int MaxResponseBytes = 16 * 1024;

    public static byte[] Build(string serviceType, string action, IReadOnlyList<KeyValuePair<string, string>> arguments)
    {
        var body = new StringBuilder(512);
        body.Append("<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:")
            .Append(action).Append(" xmlns:u=\"").Append(SecurityElement.Escape(serviceType)).Append("\">");
        foreach (var (name, value) in arguments)
        {
            body.Append('<').Append(name).Append('>').Append(SecurityElement.Escape(value)).Append("</").Append(name).Append('>');
        }

        body.Append("</u:").Append(action).Append("></s:Body></s:Envelope>\r\n");
        return Encoding.UTF8.GetBytes(body.ToString());
    }

    /// <summary>The answer to <paramref name="action"/>, or null with the reason when it is neither a response nor a fault.</summary>
    public static SoapResult? TryParse(ReadOnlyMemory<byte> document, string action, out string reason)
    {
        try
        {
            using var reader = GatewayXml.Create(document, MaxResponseBytes);
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "Body")
                {
                    continue;
                }

                if (!reader.Read() || reader.NodeType != XmlNodeType.Element)
                {
                    break;
                }

                if (reader.LocalName == action + "Response")
                {
                    reason = "";
                    return new SoapResult(ReadArguments(reader), 0, null);
                }

                if (reader.LocalName == "Fault")
                {
                    return ReadFault(reader, out reason);
                }

                reason = "the answer is neither " + action + "Response nor a Fault but '" + reader.LocalName + "'";
                return null;
            }
        }
        catch (XmlException ex)
        {
            reason = "the answer is not acceptable XML: " + ex.Message;
            return null;
        }

        reason = "the answer has no SOAP Body";
        return null;
    }

    private static Dictionary<string, string> ReadArguments(XmlReader reader)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using var response = reader.ReadSubtree();
        response.Read();
        response.Read();
        while (!response.EOF)
        {
            if (response.NodeType == XmlNodeType.Element && response.Depth == 1)
            {
                string name = response.LocalName;
                values[name] = response.ReadElementContentAsString().Trim();
            }
            else
            {
                response.Read();
            }
        }

        return values;
    }

    private static SoapResult? ReadFault(XmlReader reader, out string reason)
    {
        string? code = null, description = null;
        using var fault = reader.ReadSubtree();
        fault.Read();
        while (!fault.EOF)
        {
            if (fault.NodeType == XmlNodeType.Element && fault.LocalName == "errorCode")
            {
                code = fault.ReadElementContentAsString().Trim();
            }
            else if (fault.NodeType == XmlNodeType.Element && fault.LocalName == "errorDescription")
            {
                description = fault.ReadElementContentAsString().Trim();
            }
            else
            {
                fault.Read();
            }
        }

        if (!int.TryParse(code, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number) || number == 0)
        {
            reason = "the SOAP fault carries no UPnP error code";
            return null;
        }

        reason = "";
        return new SoapResult(new Dictionary<string, string>(), number, description);
    }
}
