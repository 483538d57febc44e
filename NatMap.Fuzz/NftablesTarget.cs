using System.Text;
using NatMap.Forwarding.Internal;

namespace NatMap.Fuzz;

/// <summary>
/// <c>nftables</c>: the JSON listings the kernel forwarder reads back from libnftables (<c>list tables</c>,
/// <c>list table</c>, <c>list ruleset</c>), as UTF-8, through every reader. Each must return a result, or
/// refuse text that is not JSON with <see cref="NatMapException"/> (<see cref="NatMapErrorKind.NotSupported"/>),
/// the failure its callers handle. Beyond that: no table outside NatMap's prefix is taken for NatMap's (it
/// would be deleted), and no table of NatMap's is reported as another table's dropping chain.
/// </summary>
internal static class NftablesTarget
{
    private static readonly string[] Hooks = ["input", "forward"];

    public static void Run(Stream stream)
    {
        string json = Encoding.UTF8.GetString(FuzzInput.Read(stream));
        try
        {
            foreach (var table in NftablesRuleset.NatMapTables(json))
            {
                if (!table.StartsWith(NftablesRuleset.TablePrefix, StringComparison.Ordinal))
                {
                    throw new FuzzContractException("a table outside NatMap's prefix taken for NatMap's: " + table);
                }
            }

            _ = NftablesRuleset.Counters(json);
            foreach (var hook in Hooks)
            {
                foreach (var (_, table, _) in NftablesRuleset.DroppingChains(json, hook))
                {
                    if (table.StartsWith(NftablesRuleset.TablePrefix, StringComparison.Ordinal))
                    {
                        throw new FuzzContractException("NatMap's own table reported as dropping: " + table);
                    }
                }
            }
        }
        catch (NatMapException ex) when (ex.Kind == NatMapErrorKind.NotSupported)
        {
        }
    }
}
