using System.Buffers.Binary;
using System.Text;

namespace NatMap.Stun.Internal;

/// <summary>
/// One Binding transaction without I/O (RFC 8489 section 6): it owns a random transaction id and
/// the request bytes, and judges each datagram or TCP frame that comes back. The client, the UDP
/// forwarder (whose listening socket also receives the STUN answers) and the RFC 5780 NAT check
/// drive it over their own sockets.
/// </summary>
internal sealed class StunBindingTransaction
{
    private readonly byte[] _request;

    private StunBindingTransaction(StunTransactionId transactionId, StunChangeFlags changeFlags, byte[] request)
    {
        TransactionId = transactionId;
        ChangeFlags = changeFlags;
        _request = request;
    }

    /// <summary>The transaction id, chosen at random.</summary>
    public StunTransactionId TransactionId { get; }

    /// <summary>The CHANGE-REQUEST flags the request carries.</summary>
    public StunChangeFlags ChangeFlags { get; }

    /// <summary>The request bytes, ready to send (and to send again on retransmission, RFC 8489 section 6.2.1).</summary>
    public ReadOnlyMemory<byte> Request => _request;

    /// <summary>
    /// Starts a transaction with a fresh random id and builds its request (with FINGERPRINT).
    /// </summary>
    /// <param name="changeFlags">CHANGE-REQUEST flags (RFC 5780); None sends no CHANGE-REQUEST.</param>
    /// <param name="software">SOFTWARE to send, or null.</param>
    /// <param name="responsePort">RESPONSE-PORT to send, or null.</param>
    /// <param name="paddingLength">PADDING length to send, or 0.</param>
    public static StunBindingTransaction Create(StunChangeFlags changeFlags = StunChangeFlags.None, string? software = null, int? responsePort = null, int paddingLength = 0) =>
        Create(StunTransactionId.NewRandom(), changeFlags, software, responsePort, paddingLength);

    /// <summary>Starts a transaction with a given id (tests, replay).</summary>
    public static StunBindingTransaction Create(StunTransactionId transactionId, StunChangeFlags changeFlags = StunChangeFlags.None, string? software = null, int? responsePort = null, int paddingLength = 0)
    {
        if (software is not null && Encoding.UTF8.GetByteCount(software) > SoftwareAttribute.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(software), "SOFTWARE is limited to 763 UTF-8 bytes (RFC 8489 section 14.14).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(paddingLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(paddingLength, 0xFFFF - 1024);
        if (responsePort is < 0 or > 0xFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(responsePort));
        }

        int size = StunConstants.HeaderLength
            + (changeFlags != StunChangeFlags.None ? 8 : 0)
            + (responsePort is not null ? 8 : 0)
            + (paddingLength > 0 ? StunConstants.AttributeHeaderLength + StunConstants.Pad(paddingLength) : 0)
            + (string.IsNullOrEmpty(software) ? 0 : StunConstants.AttributeHeaderLength + StunConstants.Pad(Encoding.UTF8.GetByteCount(software)))
            + FingerprintAttribute.Size;
        var request = new byte[size];
        int length = StunBindingRequest.Write(request, transactionId, changeFlags, responsePort, paddingLength, software);
        if (length != size)
        {
            throw new InvalidOperationException("The Binding request came out at " + length + " bytes instead of " + size + ".");
        }

        return new StunBindingTransaction(transactionId, changeFlags, request);
    }

    /// <summary>Writes the request into <paramref name="destination"/>; returns its length, or 0 when it does not fit.</summary>
    public int WriteRequest(Span<byte> destination) => _request.AsSpan().TryCopyTo(destination) ? _request.Length : 0;

    /// <summary>
    /// Quick test for demultiplexing: the first two bits are zero and the magic cookie is there
    /// (RFC 8489 section 5; RFC 7983 uses the same first-byte rule).
    /// </summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= StunConstants.HeaderLength
        && (datagram[0] & 0xC0) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == StunConstants.MagicCookie;

    /// <summary>True when <paramref name="datagram"/> is a well-framed STUN message carrying this transaction's id.</summary>
    public bool Matches(ReadOnlySpan<byte> datagram) =>
        StunHeader.TryRead(datagram, out var header) == StunParseError.None && header.TransactionId == TransactionId;

    /// <summary>
    /// Convenience form of <c>Accept</c>: true for a valid success or error response to this
    /// transaction (check <see cref="StunBindingResponse.IsSuccess"/>).
    /// </summary>
    public bool TryAccept(ReadOnlySpan<byte> datagram, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StunBindingResponse? response)
    {
        var result = Accept(datagram, out response);
        return result is StunAcceptResult.Success or StunAcceptResult.ErrorResponse;
    }

    /// <summary>
    /// Validates a datagram (or TCP frame) against this transaction and extracts the response.
    /// Non-STUN input and other transactions' messages are told apart from broken answers to this
    /// one, so a UDP client can keep waiting past the former (RFC 8489 section 6.3).
    /// </summary>
    public StunAcceptResult Accept(ReadOnlySpan<byte> datagram, out StunBindingResponse? response) =>
        Accept(datagram, out response, out _);

    /// <summary>
    /// Validates a datagram (or TCP frame) against this transaction and extracts the response.
    /// RFC 8489 section 6.3: a message that fails a check (leading bits, cookie, length, method,
    /// class, transaction id, FINGERPRINT) is discarded and the transaction goes on waiting;
    /// <paramref name="discarded"/> says which check it failed. Only a valid error response, or a
    /// response with an unknown comprehension-required attribute, ends the transaction in failure.
    /// </summary>
    public StunAcceptResult Accept(ReadOnlySpan<byte> datagram, out StunBindingResponse? response, out StunDiscardReason discarded)
    {
        response = null;
        if (!LooksLikeStun(datagram))
        {
            discarded = StunDiscardReason.NotStun;
            return StunAcceptResult.NotStun;
        }

        if (StunTransactionId.Read(datagram.Slice(8, StunConstants.TransactionIdLength)) != TransactionId)
        {
            discarded = StunDiscardReason.OtherTransaction;
            return StunAcceptResult.TransactionMismatch;
        }

        var parseError = StunMessage.TryParse(datagram, out var message);
        if (parseError != StunParseError.None)
        {
            discarded = parseError switch
            {
                StunParseError.Truncated => StunDiscardReason.Truncated,
                StunParseError.AttributeOverflow => StunDiscardReason.AttributeOverflow,
                StunParseError.FingerprintNotLast or StunParseError.BadFingerprint => StunDiscardReason.BadFingerprint,
                StunParseError.NotStun or StunParseError.BadCookie => StunDiscardReason.NotStun,
                _ => StunDiscardReason.BadLength,
            };
            return StunAcceptResult.Malformed;
        }

        var header = message.Header;
        if (header.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse))
        {
            discarded = StunDiscardReason.NotResponse;
            return StunAcceptResult.Malformed;
        }

        if (header.Method != (ushort)StunMethod.Binding)
        {
            discarded = StunDiscardReason.OtherMethod;
            return StunAcceptResult.Malformed;
        }

        discarded = StunDiscardReason.None;
        if (HasUnknownRequiredAttribute(message))
        {
            return StunAcceptResult.UnknownRequiredAttribute;
        }

        string? software = SoftwareAttribute.TryRead(message, out var softwareUtf8) ? DecodeUtf8(softwareUtf8) : null;
        if (header.Class == StunClass.ErrorResponse)
        {
            if (!ErrorCodeAttribute.TryRead(message, out int code, out var reason))
            {
                discarded = StunDiscardReason.BadErrorCode;
                return StunAcceptResult.Malformed;
            }

            ushort[] unknown = [];
            if (UnknownAttributesAttribute.TryRead(message, out var types))
            {
                unknown = new ushort[UnknownAttributesAttribute.Count(types)];
                for (int i = 0; i < unknown.Length; i++)
                {
                    unknown[i] = UnknownAttributesAttribute.Get(types, i);
                }
            }

            response = new StunBindingResponse { IsSuccess = false, ErrorCode = code, ErrorReason = DecodeUtf8(reason), Software = software, UnknownAttributes = unknown };
            return StunAcceptResult.ErrorResponse;
        }

        bool xored = XorMappedAddressAttribute.TryRead(message, out var mapped);
        if (!xored && !MappedAddressAttribute.TryRead(message, out mapped))
        {
            discarded = StunDiscardReason.NoMappedAddress;
            return StunAcceptResult.Malformed;
        }

        if (!OtherAddressAttribute.TryRead(message, out var other))
        {
            ChangedAddressAttribute.TryRead(message, out other);
        }

        ResponseOriginAttribute.TryRead(message, out var origin);
        response = new StunBindingResponse
        {
            IsSuccess = true,
            MappedAddress = mapped.ToIPEndPoint(),
            MappedAddressWasXored = xored,
            OtherAddress = other.Family != 0 ? other.ToIPEndPoint() : null,
            ResponseOrigin = origin.Family != 0 ? origin.ToIPEndPoint() : null,
            Software = software,
        };
        return StunAcceptResult.Success;
    }

    /// <summary>
    /// RFC 8489 sections 6.3.3 and 6.3.4: a response with an unknown comprehension-required attribute
    /// (type below 0x8000) is discarded and the transaction fails.
    /// </summary>
    private static bool HasUnknownRequiredAttribute(in StunMessage message)
    {
        foreach (var attribute in message.GetAttributes())
        {
            if (attribute.IsComprehensionRequired && !IsKnownRequired(attribute.Type))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsKnownRequired(ushort type) => type switch
    {
        // MAPPED-ADDRESS, RESPONSE-ADDRESS and SOURCE-ADDRESS (RFC 3489), CHANGE-REQUEST,
        // CHANGED-ADDRESS, USERNAME, MESSAGE-INTEGRITY, ERROR-CODE, UNKNOWN-ATTRIBUTES,
        // REALM, NONCE, MESSAGE-INTEGRITY-SHA256, PASSWORD-ALGORITHM, USERHASH,
        // XOR-MAPPED-ADDRESS, PADDING, RESPONSE-PORT.
        >= 0x0001 and <= 0x0006 => true,
        0x0008 or 0x0009 or 0x000A or 0x0014 or 0x0015 or 0x001C or 0x001D or 0x001E or 0x0020 or 0x0026 or 0x0027 => true,
        _ => false,
    };

    private static string DecodeUtf8(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
