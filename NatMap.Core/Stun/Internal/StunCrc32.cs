namespace NatMap.Stun.Internal;

/// <summary>
/// CRC-32 as ISO 3309 / ITU-T V.42 define it (reflected polynomial 0xEDB88320, the one zlib and
/// Ethernet use), which RFC 8489 section 14.7 names for FINGERPRINT. Slicing-by-4 tables keep the
/// parse path cheap without a dependency.
/// </summary>
internal static class StunCrc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        uint crc = 0xFFFFFFFF;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            crc ^= (uint)(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
            crc = table[768 + (crc & 0xFF)] ^ table[512 + ((crc >> 8) & 0xFF)] ^ table[256 + ((crc >> 16) & 0xFF)] ^ table[crc >> 24];
        }

        for (; i < data.Length; i++)
        {
            crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[1024];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        for (int n = 0; n < 256; n++)
        {
            for (int s = 1; s < 4; s++)
            {
                uint previous = table[((s - 1) * 256) + n];
                table[(s * 256) + n] = (previous >> 8) ^ table[previous & 0xFF];
            }
        }

        return table;
    }
}
