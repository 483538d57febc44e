namespace NatMap.Fuzz;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) a bit at a time, with no tables and no
/// unsafe code: the yardstick for StunCrc32, whose slicing-by-8 loop reads through unchecked refs.
/// A read outside the span there would show here as a different CRC, which afl-fuzz cannot see by itself.
/// </summary>
internal static class ReferenceCrc32
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
