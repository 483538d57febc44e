using System.Xml;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The one way a gateway's XML is read: untrusted input from anything on the LAN, so no DTD (an
/// XXE or entity-expansion document is refused, not resolved), no resolver, and no more characters
/// than the caller's limit. The bytes are decoded as UTF-8 (UPnP Device Architecture 1.1 section
/// 2.3) before the reader sees them: from a byte stream, XmlReader honours the declaration's
/// encoding, and a declaration that switches encoding mid-buffer made it throw
/// ArgumentOutOfRangeException from inside (found by the <c>gateway</c> fuzz target).
/// </summary>
internal static class GatewayXml
{
    public static XmlReader Create(ReadOnlyMemory<byte> document, int maxCharacters) =>
        XmlReader.Create(
            new StringReader(System.Text.Encoding.UTF8.GetString(document.Span)),
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
}
