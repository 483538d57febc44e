using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NatMap.Internal;

namespace NatMap.Mapping;

/// <summary>
/// The local port (or ports) to bind, in the original natmap's <c>-b</c> syntax:
/// <c>0</c> (any), <c>p</c>, <c>a-b</c> (sequential) or <c>a~b</c> (random).
/// </summary>
public readonly record struct PortSpec
{
    private PortSpec(PortSpecKind kind, int first, int last)
    {
        Kind = kind;
        First = first;
        Last = last;
    }

    /// <summary>Any port: the operating system chooses.</summary>
    public static PortSpec Any => default;

    /// <summary>How the port is chosen.</summary>
    public PortSpecKind Kind { get; }

    /// <summary>The first port of the range (the port itself for <see cref="PortSpecKind.Fixed"/>; 0 for any).</summary>
    public int First { get; }

    /// <summary>The last port of the range (equal to <see cref="First"/> unless a range).</summary>
    public int Last { get; }

    /// <summary>A single fixed port.</summary>
    /// <param name="port">1 to 65535, or 0 for any.</param>
    /// <returns>The spec.</returns>
    public static PortSpec Fixed(int port)
    {
        ValidatePort(port, allowZero: true);
        return port == 0 ? Any : new PortSpec(PortSpecKind.Fixed, port, port);
    }

    /// <summary>A range, walked in order (<paramref name="random"/> false) or picked at random.</summary>
    /// <param name="first">First port, 1 to 65535.</param>
    /// <param name="last">Last port, not below <paramref name="first"/>.</param>
    /// <param name="random">Pick at random instead of in order.</param>
    /// <returns>The spec.</returns>
    public static PortSpec Range(int first, int last, bool random)
    {
        ValidatePort(first, allowZero: false);
        ValidatePort(last, allowZero: false);
        if (last < first)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(last), string.Create(CultureInfo.InvariantCulture, $"port range {first}-{last} is reversed: the first port must not exceed the last"));
        }

        return new PortSpec(random ? PortSpecKind.Random : PortSpecKind.Sequential, first, last);
    }

    /// <summary>Parses <c>0</c>, <c>p</c>, <c>a-b</c> or <c>a~b</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="FormatException">The text is not a valid port spec.</exception>
    public static PortSpec Parse(string text)
    {
        if (!TryParse(text, out var spec, out var error))
        {
            throw new FormatException(error);
        }

        return spec;
    }

    /// <summary>Parses <c>0</c>, <c>p</c>, <c>a-b</c> or <c>a~b</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="spec">The spec, when valid.</param>
    /// <param name="error">Why the text is invalid, when it is.</param>
    /// <returns><see langword="true"/> when the text is valid.</returns>
    public static bool TryParse(string? text, out PortSpec spec, [NotNullWhen(false)] out string? error)
    {
        spec = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "port spec is empty: expected 0, p, a-b or a~b";
            return false;
        }

        var span = text.AsSpan().Trim();
        int sep = span.IndexOfAny('-', '~');
        if (sep < 0)
        {
            if (!TryPort(span, allowZero: true, out int port, out error))
            {
                return false;
            }

            spec = port == 0 ? Any : new PortSpec(PortSpecKind.Fixed, port, port);
            return true;
        }

        if (!TryPort(span[..sep], allowZero: false, out int first, out error) || !TryPort(span[(sep + 1)..], allowZero: false, out int last, out error))
        {
            return false;
        }

        if (last < first)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"port range '{text}' is reversed: the first port must not exceed the last");
            return false;
        }

        spec = new PortSpec(span[sep] == '~' ? PortSpecKind.Random : PortSpecKind.Sequential, first, last);
        return true;
    }

    /// <summary>The spec in <c>-b</c> syntax.</summary>
    /// <returns>Text that <see cref="Parse"/> reads back.</returns>
    public override string ToString() => Kind switch
    {
        PortSpecKind.Any => "0",
        PortSpecKind.Fixed => First.ToString(CultureInfo.InvariantCulture),
        PortSpecKind.Sequential => string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{First}~{Last}"),
    };

    /// <summary>One port number, as <c>-b</c> and <c>-p</c> read it; <paramref name="error"/> says why not.</summary>
    internal static bool TryPort(ReadOnlySpan<char> text, bool allowZero, out int port, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            error = $"'{text}' is not a port number";
            return false;
        }

        if (port > 65535 || (port == 0 && !allowZero))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"port {port} is out of range: expected {(allowZero ? 0 : 1)} to 65535");
            return false;
        }

        return true;
    }

    private static void ValidatePort(int port, bool allowZero)
    {
        if (port < (allowZero ? 0 : 1) || port > 65535)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(port), string.Create(CultureInfo.InvariantCulture, $"port {port} is out of range: expected {(allowZero ? 0 : 1)} to 65535"));
        }
    }
}
