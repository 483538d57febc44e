using System.Net;
using NatMap.Gateway.Internal;

namespace NatMap.Fuzz;

/// <summary>
/// <c>gateway</c>: the home router's answers, untrusted input from anything on the LAN. The first
/// byte picks the parser (0 PCP MAP response, 1 NAT-PMP answer, 2 IGD description, 3 SOAP answer,
/// 4 SSDP answer); the rest is the message. Any exception that escapes, or a result that breaks a
/// parser's promise (a control URL on another host, an SSDP location not on its sender), is a finding.
/// </summary>
internal static class GatewayTarget
{
    private static readonly Uri Location = new("http://198.51.100.1:5000/rootDesc.xml");
    private static readonly IPAddress Sender = IPAddress.Parse("198.51.100.1");

    public static void Run(Stream stream)
    {
        var input = FuzzInput.Read(stream);
        if (input.IsEmpty)
        {
            return;
        }

        var message = input[1..].ToArray();
        switch (input[0] % 5)
        {
            case 0:
                if (PcpCodec.TryReadMapResponse(message, out var pcp) && pcp.Result == PcpResultCode.Success && message.Length < PcpCodec.MapLength)
                {
                    throw new FuzzContractException("a PCP success shorter than a MAP response");
                }

                break;
            case 1:
                for (byte opcode = 0; opcode <= NatPmpCodec.MapTcpOpcode; opcode++)
                {
                    if (NatPmpCodec.TryReadResponse(message, opcode, out var natPmp) && natPmp.Result == 0 && message.Length < (opcode == 0 ? 12 : 16))
                    {
                        throw new FuzzContractException("a NAT-PMP success shorter than its answer");
                    }
                }

                break;
            case 2:
                if (IgdDescription.TryParse(message, Location, out _) is { } description && description.ControlUrl.Host != Location.Host)
                {
                    throw new FuzzContractException("a control URL on another host than the description's");
                }

                break;
            case 3:
                if (SoapMessage.TryParse(message, "AddPortMapping", out _) is { IsFault: true, FaultCode: 0 })
                {
                    throw new FuzzContractException("a fault without a code");
                }

                break;
            default:
                if (SsdpSearch.TryReadLocation(message, Sender) is { } location && location.Host != Sender.ToString())
                {
                    throw new FuzzContractException("an SSDP location not on its sender");
                }

                break;
        }
    }
}
