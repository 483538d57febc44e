using System.Globalization;
using System.Text;

namespace NatMap.Stun.Internal;

/// <summary>
/// The messages one transaction discarded, by reason (RFC 8489 section 6.3), so that a failure can
/// name them: an on-path attacker who injects a broken copy of every answer shows up in the reason
/// instead of silently costing the server its turn.
/// </summary>
internal sealed class StunDiscardTally
{
    private readonly int[] _counts = new int[(int)StunDiscardReason.OtherSource + 1];

    /// <summary>How many messages were discarded in all.</summary>
    public int Total { get; private set; }

    /// <summary>Counts one discarded message.</summary>
    public void Add(StunDiscardReason reason)
    {
        if (reason == StunDiscardReason.None)
        {
            return;
        }

        _counts[(int)reason]++;
        Total++;
    }

    /// <summary>How many were discarded for <paramref name="reason"/>.</summary>
    public int Count(StunDiscardReason reason) => _counts[(int)reason];

    /// <summary>
    /// "3 datagrams discarded (2 truncated, 1 for another transaction)", or the empty string when
    /// nothing was discarded.
    /// </summary>
    public string Describe(string unit)
    {
        if (Total == 0)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        text.Append(Total.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(unit);
        if (Total != 1)
        {
            text.Append('s');
        }

        text.Append(" discarded (");
        bool first = true;
        for (int i = 1; i < _counts.Length; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            if (!first)
            {
                text.Append(", ");
            }

            first = false;
            text.Append(_counts[i].ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Name((StunDiscardReason)i));
        }

        return text.Append(')').ToString();
    }

    /// <summary>The reason as the logs and failure texts say it.</summary>
    public static string Name(StunDiscardReason reason) => reason switch
    {
        StunDiscardReason.NotStun => "not STUN",
        StunDiscardReason.OtherTransaction => "for another transaction",
        StunDiscardReason.Truncated => "truncated",
        StunDiscardReason.BadLength => "with a bad length",
        StunDiscardReason.AttributeOverflow => "with an attribute past the end",
        StunDiscardReason.BadFingerprint => "with a bad FINGERPRINT",
        StunDiscardReason.NotResponse => "not a response",
        StunDiscardReason.OtherMethod => "for another method",
        StunDiscardReason.NoMappedAddress => "without a mapped address",
        StunDiscardReason.BadErrorCode => "with a bad ERROR-CODE",
        StunDiscardReason.OtherSource => "from another source",
        _ => "kept",
    };
}
