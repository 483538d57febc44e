namespace NatMap.Notify.Internal;

/// <summary>A failed attempt as one line for the log.</summary>
internal static class NotifierErrors
{
    public static string Describe(Exception exception)
    {
        // HttpClient puts the cause (connection refused, a reset) in the inner exception and a
        // generic sentence outside; the log line wants both.
        string message = exception.Message;
        if (exception is HttpRequestException { InnerException: { } inner } && !message.Contains(inner.Message, StringComparison.Ordinal))
        {
            message = message.TrimEnd('.') + ": " + inner.Message;
        }

        return message.ReplaceLineEndings(" ").TrimEnd();
    }
}
