using System.Xml;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The one way a gateway's XML is read: untrusted input from anything on the LAN, so no DTD (an
/// XXE or entity-expansion document is refused, not resolved), no resolver, and no more characters
/// than the caller's limit.
/// </summary>
internal static class GatewayXml
{
    public static XmlReader Create(ReadOnlyMemory<byte> document, int maxCharacters) =>
        XmlReader.Create(
            new MemoryStreamView(document),
            new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = maxCharacters,
                MaxCharactersFromEntities = 0,
                IgnoreComments = true,
                IgnoreProcessingInstructions = true,
                IgnoreWhitespace = true,
                CloseInput = true,
            });

    /// <summary>A read-only stream over the bytes already received (bounded by the HTTP reader).</summary>
    private sealed class MemoryStreamView(ReadOnlyMemory<byte> bytes) : MemoryStream(bytes.ToArray(), writable: false);
}
