using NatMap.Gateway.Internal;

namespace NatMap.Tests.Gateway;

public sealed class GatewayXmlTests
{
    /// <summary>
    /// Found by the gateway fuzz target: an XML declaration whose version runs into bytes that are
    /// not UTF-8 made XmlReader, reading a byte stream, throw ArgumentOutOfRangeException while
    /// switching encodings.
    /// </summary>
    private static readonly byte[] EncodingSwitch = Convert.FromHexString(
        "3c3f786d6c2076657273696f6e3d22312e30eae9f7eaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaeaea223f3e3c736520786d6c6e7345733d2268223e3c733a426f64793e4673");

    [Fact]
    public void SoapTryParse_EncodingSwitchInDeclaration_ResultNotException()
    {
        Assert.Null(SoapMessage.TryParse(EncodingSwitch, "AddPortMapping", out string reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void DescriptionTryParse_EncodingSwitchInDeclaration_ResultNotException()
    {
        Assert.Null(IgdDescription.TryParse(EncodingSwitch, new Uri("http://198.51.100.1:5000/rootDesc.xml"), out string reason));
        Assert.NotEmpty(reason);
    }
}
