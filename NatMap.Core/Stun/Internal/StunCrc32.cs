using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NatMap.Stun.Internal;

/// <summary>
/// CRC-32 as ISO 3309 / ITU-T V.42 define it (reflected polynomial 0xEDB88320, the one zlib and
/// Ethernet use), which RFC 8489 section 14.7 names for FINGERPRINT. Slicing-by-8 tables (8 KiB)
/// keep the parse path cheap without a dependency.
/// </summary>
internal static class StunCrc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        // Bounds checks are removed by reading through refs: the loop conditions keep every read
        // inside data, and every table index is a byte (0-255) plus a fixed slice offset.
        ref uint table = ref MemoryMarshal.GetArrayDataReference(Table);
        ref byte source = ref MemoryMarshal.GetReference(data);
        uint crc = 0xFFFFFFFF;
        int length = data.Length;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            ulong chunk = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i));
            if (!BitConverter.IsLittleEndian)
            {
                chunk = BinaryPrimitives.ReverseEndianness(chunk);
            }

            uint one = (uint)chunk ^ crc;
            uint two = (uint)(chunk >> 32);
            crc = Unsafe.Add(ref table, (7 * 256) + (int)(one & 0xFF)) ^ Unsafe.Add(ref table, (6 * 256) + (int)((one >> 8) & 0xFF))
                ^ Unsafe.Add(ref table, (5 * 256) + (int)((one >> 16) & 0xFF)) ^ Unsafe.Add(ref table, (4 * 256) + (int)(one >> 24))
                ^ Unsafe.Add(ref table, (3 * 256) + (int)(two & 0xFF)) ^ Unsafe.Add(ref table, (2 * 256) + (int)((two >> 8) & 0xFF))
                ^ Unsafe.Add(ref table, 256 + (int)((two >> 16) & 0xFF)) ^ Unsafe.Add(ref table, (int)(two >> 24));
        }

        for (; i < length; i++)
        {
            crc = Unsafe.Add(ref table, (int)((crc ^ Unsafe.Add(ref source, i)) & 0xFF)) ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
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
            for (int s = 1; s < 8; s++)
            {
                uint previous = table[((s - 1) * 256) + n];
                table[(s * 256) + n] = (previous >> 8) ^ table[previous & 0xFF];
            }
        }

        return table;
    }
}
