using System.Globalization;
using Microsoft.Extensions.Logging;

namespace NatMap.Cli;

/// <summary>
/// A diagnostic for long runs (scripts/soak.sh): with <c>NATMAP_GC_LOG_SECONDS=N</c> in the
/// environment, the GC settings in effect are logged once and the managed heap every N seconds.
/// A NativeAOT process has no diagnostics port by default, so this is how the heap is seen from outside.
/// </summary>
internal static class GcReport
{
    /// <summary>Logs until cancelled, or returns at once when the environment does not ask for the report.</summary>
    public static async Task RunAsync(ILogger logger, CancellationToken cancellationToken)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("NATMAP_GC_LOG_SECONDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds <= 0)
        {
            return;
        }

        // Every setting the GC reports, so a run shows which knobs (runtimeconfig or DOTNET_ environment) took effect.
        CliLog.GcSettings(logger, string.Join(", ", GC.GetConfigurationVariables().OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key + "=" + Convert.ToString(s.Value, CultureInfo.InvariantCulture))));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            do
            {
                var info = GC.GetGCMemoryInfo();
                CliLog.GcHeap(logger, GC.GetTotalMemory(false), info.TotalCommittedBytes, info.GenerationInfo[0].SizeAfterBytes, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(false));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
