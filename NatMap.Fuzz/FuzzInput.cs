namespace NatMap.Fuzz;

/// <summary>Reads one input into a buffer reused across runs, so the harness adds no garbage of its own.</summary>
internal static class FuzzInput
{
    // Larger than any STUN message (20 + 65535) so that over-long inputs reach the parser too.
    private static readonly byte[] Buffer = new byte[70_000];

    public static ReadOnlySpan<byte> Read(Stream stream)
    {
        int length = 0;
        int read;
        while (length < Buffer.Length && (read = stream.Read(Buffer, length, Buffer.Length - length)) > 0)
        {
            length += read;
        }

        return Buffer.AsSpan(0, length);
    }
}
