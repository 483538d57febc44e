namespace NatMap.Notify;

/// <summary>
/// A TSIG key (RFC 8945) for <see cref="NsUpdateNotifier"/>: its name and its HMAC-SHA256 secret, as
/// <c>tsig-keygen</c> writes them: <c>key "name" { algorithm hmac-sha256; secret "base64"; };</c>.
/// </summary>
public sealed class TsigKey
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
        // A hand-written scan rather than Regex: the regular expression engine would add hundreds of
        // kilobytes to the native CLI for one small file format.
        ArgumentNullException.ThrowIfNull(text);
        int key = text.IndexOf("key", StringComparison.Ordinal);
        int open = key < 0 ? -1 : text.IndexOf('{', key);
        int close = open < 0 ? -1 : text.IndexOf('}', open);
        string name = open < 0 ? string.Empty : text[(key + 3)..open].Trim().Trim('"');
        if (close < 0 || name.Length == 0 || name.Any(char.IsWhiteSpace))
        {
            throw new FormatException("No 'key \"name\" { algorithm hmac-sha256; secret \"...\"; };' clause.");
        }

        string? algorithm = null;
        string? secret = null;
        foreach (var statement in text[(open + 1)..close].Split(';'))
        {
            var parts = statement.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == "algorithm")
            {
                algorithm = parts[1].Trim().Trim('"');
            }
            else if (parts.Length == 2 && parts[0] == "secret")
            {
                secret = parts[1].Trim().Trim('"');
            }
        }

        if (algorithm is not null && !algorithm.Equals("hmac-sha256", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"Algorithm '{algorithm}' is not supported: use hmac-sha256.");
        }

        var bytes = new byte[secret?.Length ?? 0];
        if (secret is null || !Convert.TryFromBase64String(secret, bytes, out int length) || length == 0)
        {
            throw new FormatException("The key has no base64 secret.");
        }

        return new TsigKey(name, bytes.AsSpan(0, length));
    }

    /// <summary>Reads a key from a BIND key file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The key.</returns>
    /// <exception cref="IOException">The file cannot be read; the message starts with the quoted path.</exception>
    /// <exception cref="FormatException">The file holds no usable key (see <see cref="Parse"/>); the message starts with the quoted path.</exception>
    public static TsigKey ReadFile(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // The runtime's own file messages may be trimmed to resource keys in a native build.
            string reason = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message.TrimEnd('.'),
            };
            string message = $"'{path}': {reason}";
            throw ex is FormatException ? new FormatException(message, ex) : new IOException(message, ex);
        }
    }
}
