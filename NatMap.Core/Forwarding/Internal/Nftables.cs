using System.Runtime.InteropServices;
using NatMap.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// libnftables (<c>libnftables.so.1</c>, the library behind the <c>nft</c> command) through
/// source-generated imports, so it works under Native AOT and needs no <c>nft</c> binary. Each
/// <see cref="Run"/> is one call of <c>nft_run_cmd_from_buffer</c>: the kernel applies the whole
/// buffer as one netlink transaction, or nothing of it. One context, behind a lock: a context is
/// not safe to share between threads.
/// </summary>
internal static partial class Nftables
{
    private const string Library = "libnftables.so.1";

    // NFT_CTX_OUTPUT_JSON in nftables.h.
    private const uint OutputJson = 1u << 4;

    private static readonly object Gate = new();
    private static IntPtr _context;

    /// <summary>Runs <paramref name="commands"/> (nft's own syntax) as one transaction; throws on failure, naming why.</summary>
    public static void Run(string commands) => Execute(commands, json: false);

    /// <summary>Runs a listing command and returns its output as nft's JSON.</summary>
    public static string List(string command) => Execute(command, json: true);

    private static string Execute(string commands, bool json)
    {
        lock (Gate)
        {
            var context = Context();
            NftCtxOutputSetFlags(context, json ? OutputJson : 0);
            int rc = NftRunCmdFromBuffer(context, commands);
            string output = Marshal.PtrToStringUTF8(NftCtxGetOutputBuffer(context)) ?? "";
            string error = Marshal.PtrToStringUTF8(NftCtxGetErrorBuffer(context)) ?? "";
            if (rc != 0)
            {
                ThrowHelper.Throw(KindOf(error), "nftables refused the change: " + FirstLine(error));
            }

            return output;
        }
    }

    private static IntPtr Context()
    {
        if (_context != IntPtr.Zero)
        {
            return _context;
        }

        IntPtr context;
        try
        {
            context = NftCtxNew(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return ThrowHelper.Throw<IntPtr>(NatMapErrorKind.NotSupported, "nftables forwarding needs libnftables (" + Library + ", package libnftables1), which is not installed", ex);
        }

        if (context == IntPtr.Zero)
        {
            ThrowHelper.Throw(NatMapErrorKind.NotSupported, "libnftables could not create a context");
        }

        // Both buffers are captured, so nothing is printed on the process's own stdout or stderr.
        NftCtxBufferOutput(context);
        NftCtxBufferError(context);
        _context = context;
        return context;
    }

    /// <summary>EPERM names the missing capability; a kernel without nf_tables, or without its NAT part, is not supported.</summary>
    private static NatMapErrorKind KindOf(string error) =>
        error.Contains("Operation not permitted", StringComparison.Ordinal) ? NatMapErrorKind.PermissionDenied
        : error.Contains("Protocol not supported", StringComparison.Ordinal)
            || error.Contains("No such file or directory", StringComparison.Ordinal)
            || error.Contains("not supported", StringComparison.OrdinalIgnoreCase) ? NatMapErrorKind.NotSupported
        : NatMapErrorKind.NetworkError;

    /// <summary>libnftables' message without the echoed input and the caret line that follow it.</summary>
    private static string FirstLine(string error)
    {
        var line = error.AsSpan().Trim();
        int end = line.IndexOf('\n');
        line = end < 0 ? line : line[..end];
        return line.Length == 0 ? "no reason given" : line.TrimEnd().ToString();
    }

    [LibraryImport(Library, EntryPoint = "nft_ctx_new")]
    private static partial IntPtr NftCtxNew(uint flags);

    [LibraryImport(Library, EntryPoint = "nft_ctx_output_set_flags")]
    private static partial void NftCtxOutputSetFlags(IntPtr context, uint flags);

    [LibraryImport(Library, EntryPoint = "nft_ctx_buffer_output")]
    private static partial int NftCtxBufferOutput(IntPtr context);

    [LibraryImport(Library, EntryPoint = "nft_ctx_buffer_error")]
    private static partial int NftCtxBufferError(IntPtr context);

    [LibraryImport(Library, EntryPoint = "nft_ctx_get_output_buffer")]
    private static partial IntPtr NftCtxGetOutputBuffer(IntPtr context);

    [LibraryImport(Library, EntryPoint = "nft_ctx_get_error_buffer")]
    private static partial IntPtr NftCtxGetErrorBuffer(IntPtr context);

    [LibraryImport(Library, EntryPoint = "nft_run_cmd_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NftRunCmdFromBuffer(IntPtr context, string buffer);
}
