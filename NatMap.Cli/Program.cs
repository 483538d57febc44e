namespace NatMap.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("natmap: the command line is not built yet.");
        return args.Length == 0 ? 2 : 2;
    }
}
