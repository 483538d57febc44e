using System.Globalization;

namespace NatMap.Gateway.Internal;

/// <summary>Argument checks shared by the gateway clients.</summary>
internal static class GatewayArguments
{
    public static void CheckPort(int port, string name, bool allowZero)
    {
        if (port < (allowZero ? 0 : 1) || port > 65535)
        {
            throw new ArgumentOutOfRangeException(name, port, allowZero ? "A port is 0 to 65535." : "A port is 1 to 65535.");
        }
    }

    /// <summary>A lease in whole seconds: more than zero and at most <see cref="uint.MaxValue"/> seconds.</summary>
    public static uint Seconds(TimeSpan lifetime, string name)
    {
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime.TotalSeconds > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, lifetime, string.Create(CultureInfo.InvariantCulture, $"A lease is 1 to {uint.MaxValue} seconds."));
        }

        return (uint)lifetime.TotalSeconds;
    }
}
