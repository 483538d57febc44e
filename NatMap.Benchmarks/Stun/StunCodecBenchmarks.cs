using BenchmarkDotNet.Attributes;
using NatMap.Stun.Internal;

namespace NatMap.Benchmarks.Stun;

/// <summary>
/// The STUN codec's hot paths on the RFC 5769 IPv4 Binding response (80 bytes: SOFTWARE,
/// XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT). Every method returns a value derived from
/// the work, so none can be optimised into a no-op.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class StunCodecBenchmarks
{
    private static readonly byte[] Ipv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000080001a147e112a643"
        + "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96");

    private readonly byte[] _withoutFingerprint = BuildWithoutFingerprint();
    private readonly byte[] _requestBuffer = new byte[256];
    private readonly StunTransactionId _id = StunTransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae"));
    private readonly StunBindingTransaction _transaction = StunBindingTransaction.Create(StunTransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae")));

    /// <summary>The 20-byte header alone: the floor every other parse pays.</summary>
    [Benchmark(Baseline = true)]
    public int ParseHeader() =>
        StunHeader.TryRead(Ipv4Response, out var header) == StunParseError.None ? header.Length : -1;

    /// <summary>Full validation of the framing, FINGERPRINT's CRC-32 included.</summary>
    [Benchmark]
    public int ParseMessage() =>
        StunMessage.TryParse(Ipv4Response, out var message) == StunParseError.None ? message.FingerprintOffset : -1;

    /// <summary>Full validation of a message without FINGERPRINT (header, SOFTWARE, XOR-MAPPED-ADDRESS).</summary>
    [Benchmark]
    public int ParseMessageNoFingerprint() =>
        StunMessage.TryParse(_withoutFingerprint, out var message) == StunParseError.None ? message.Header.Length : -1;

    /// <summary>Parse, then find and decode XOR-MAPPED-ADDRESS.</summary>
    [Benchmark]
    public int ParseAndReadXorMappedAddress() =>
        StunMessage.TryParse(Ipv4Response, out var message) == StunParseError.None
        && XorMappedAddressAttribute.TryRead(message, out var address) ? address.Port : -1;

    /// <summary>Decode XOR-MAPPED-ADDRESS from an already parsed message.</summary>
    [Benchmark]
    public int ReadXorMappedAddress()
    {
        StunMessage.TryParse(_withoutFingerprint, out var message);
        return XorMappedAddressAttribute.TryRead(message, out var address) ? address.Port : -1;
    }

    /// <summary>A plain Binding request with FINGERPRINT, as the client sends it.</summary>
    [Benchmark]
    public int BuildRequest() => StunBindingRequest.Write(_requestBuffer, _id);

    /// <summary>A Binding request with CHANGE-REQUEST, SOFTWARE and FINGERPRINT, as the RFC 5780 check sends it.</summary>
    [Benchmark]
    public int BuildRequestWithOptions() =>
        StunBindingRequest.Write(_requestBuffer, _id, StunChangeFlags.ChangeIP | StunChangeFlags.ChangePort, software: "natmap/0.1");

    /// <summary>The whole transaction check, which also makes the IPEndPoint objects for the caller.</summary>
    [Benchmark]
    public int AcceptResponse() =>
        _transaction.Accept(Ipv4Response, out var response) == StunAcceptResult.Success ? response!.MappedAddress!.Port : -1;

    private static byte[] BuildWithoutFingerprint()
    {
        // The same response cut before MESSAGE-INTEGRITY: header, SOFTWARE and XOR-MAPPED-ADDRESS.
        var bytes = Ipv4Response.AsSpan(0, 48).ToArray();
        bytes[3] = 48 - 20;
        return bytes;
    }
}
