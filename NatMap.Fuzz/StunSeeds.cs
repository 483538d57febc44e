using System.Net;
using System.Text;
using NatMap.Stun.Internal;
using NatMap.Tests.Stun;

namespace NatMap.Fuzz;

/// <summary>
/// The codec-written part of the <c>stun</c> seed corpus (Corpus/stun/writer-*.bin; the RFC 5769
/// vectors beside them are copied from the RFC). <c>NatMap.Fuzz seeds DIR</c> writes them again.
/// </summary>
internal static class StunSeeds
{
    private static readonly StunTransactionId Id = StunTransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae"));
    private static readonly IPEndPoint V4 = new(IPAddress.Parse("192.0.2.1"), 32853);
    private static readonly IPEndPoint V6 = new(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
    private static readonly IPEndPoint Other = new(IPAddress.Parse("198.51.100.2"), 3479);

    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var key = MessageIntegrityAttribute.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt");
        Save(directory, "writer-request", StunBindingTransaction.Create(Id, StunChangeFlags.ChangeIP | StunChangeFlags.ChangePort, "natmap", 40000, 16).Request.ToArray());
        Save(directory, "writer-success-v4", Message(StunClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(V4));
            MappedAddressAttribute.Write(ref w, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(V4));
            OtherAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(Other));
            ResponseOriginAttribute.Write(ref w, StunAddress.FromIPEndPoint(Other));
            SoftwareAttribute.Write(ref w, "natmap seed");
            FingerprintAttribute.Write(ref w);
        }));
        Save(directory, "writer-success-v6-rfc3489", Message(StunClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            MappedAddressAttribute.Write(ref w, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(V6));
            ChangedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(Other));
            MappedAddressAttribute.Write(ref w, StunAttributeType.XorMappedAddressLegacy, StunAddress.FromIPEndPoint(V6));
        }));
        Save(directory, "writer-success-integrity", Message(StunClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(V6));
            ResponsePortAttribute.Write(ref w, 40000);
            PaddingAttribute.Write(ref w, 7);
            ChangeRequestAttribute.Write(ref w, StunChangeFlags.ChangePort);
            MessageIntegrityAttribute.Write(ref w, key);
            FingerprintAttribute.Write(ref w);
        }));
        Save(directory, "writer-error", Message(StunClass.ErrorResponse, (ref StunMessageWriter w) =>
        {
            ErrorCodeAttribute.Write(ref w, 420, Encoding.UTF8.GetBytes("Unknown Attribute"));
            UnknownAttributesAttribute.Write(ref w, [0x0003, 0x7F00, 0x0011]);
            SoftwareAttribute.Write(ref w, "natmap seed");
            FingerprintAttribute.Write(ref w);
        }));
    }

    private delegate void Attributes(ref StunMessageWriter writer);

    private static byte[] Message(StunClass messageClass, Attributes attributes)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer, messageClass, (ushort)StunMethod.Binding, Id);
        attributes(ref writer);
        if (writer.Overflowed)
        {
            throw new InvalidOperationException("a seed did not fit");
        }

        return writer.Written.ToArray();
    }

    private static void Save(string directory, string name, byte[] message) =>
        File.WriteAllBytes(Path.Combine(directory, name + ".bin"), message);
}
