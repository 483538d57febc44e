using System.Text.RegularExpressions;

namespace NatMap.Notify;

/// <summary>
/// A TSIG key (RFC 8945) for <see cref="NsUpdateNotifier"/>: its name and its HMAC-SHA256 secret, as
/// <c>tsig-keygen</c> writes them: <c>key "name" { algorithm hmac-sha256; secret "base64"; };</c>.
/// </summary>
public sealed partial class TsigKey
{
    /// <summary>Creates a key.</summary>
    /// <param name="name">The key's name, as the server knows it (<c>natmap-key</c>).</param>
    /// <param name="secret">The shared secret.</param>
    /// <exception cref="ArgumentException">The name or the secret is empty.</exception>
    public TsigKey(string name, ReadOnlySpan<byte> secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The secret is empty.", nameof(secret));
        }

        Name = name.TrimEnd('.');
        Secret = secret.ToArray();
    }

    /// <summary>The key's name, without a trailing dot.</summary>
    public string Name { get; }

    /// <summary>The shared secret.</summary>
    public ReadOnlyMemory<byte> Secret { get; }

    /// <summary>Reads a key from the text of a BIND key file (the first <c>key</c> clause).</summary>
    /// <param name="text">The file's text.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">No <c>key</c> clause with a base64 <c>secret</c>, or an algorithm other than <c>hmac-sha256</c>.</exception>
    public static TsigKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var clause = KeyClause().Match(text);
        if (!clause.Success)
        {
            throw new FormatException("No 'key \"name\" { algorithm hmac-sha256; secret \"...\"; };' clause.");
        }

        var body = clause.Groups["body"].Value;
        var algorithm = Algorithm().Match(body);
        if (algorithm.Success && !algorithm.Groups["algorithm"].Value.Equals("hmac-sha256", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"Algorithm '{algorithm.Groups["algorithm"].Value}' is not supported: use hmac-sha256.");
        }

        var secret = SecretValue().Match(body);
        byte[] bytes;
        try
        {
            bytes = secret.Success ? Convert.FromBase64String(secret.Groups["secret"].Value) : [];
        }
        catch (FormatException)
        {
            bytes = [];
        }

        if (bytes.Length == 0)
        {
            throw new FormatException("The key has no base64 secret.");
        }

        return new TsigKey(clause.Groups["name"].Value, bytes);
    }

    /// <summary>Reads a key from a BIND key file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The key.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="FormatException">The file holds no usable key (see <see cref="Parse"/>).</exception>
    public static TsigKey ReadFile(string path) => Parse(File.ReadAllText(path));

    [GeneratedRegex("""key\s+"?(?<name>[^"\s{]+)"?\s*\{(?<body>[^}]*)\}""", RegexOptions.CultureInvariant)]
    private static partial Regex KeyClause();

    [GeneratedRegex("""algorithm\s+"?(?<algorithm>[^";\s]+)"?\s*;""", RegexOptions.CultureInvariant)]
    private static partial Regex Algorithm();

    [GeneratedRegex("""secret\s+"(?<secret>[^"]*)"\s*;""", RegexOptions.CultureInvariant)]
    private static partial Regex SecretValue();
}
