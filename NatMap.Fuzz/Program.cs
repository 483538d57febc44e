using NatMap.Fuzz;

// NatMap.Fuzz MODE           : persistent-mode target for afl-fuzz (scripts/fuzz.sh runs it).
// NatMap.Fuzz MODE FILE...   : runs the target once on each file, outside afl-fuzz, to reproduce a
//                              finding with the uninstrumented build; an escaping exception is the bug.
// NatMap.Fuzz seeds DIR      : writes the codec-written STUN seeds (Corpus/stun/writer-*.bin).
if (args is ["seeds", var seedDirectory])
{
    StunSeeds.Write(seedDirectory);
    return 0;
}

if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine("usage: NatMap.Fuzz MODE [FILE...]; MODE is one of: " + string.Join(", ", FuzzTargets.Names));
    return 2;
}

if (args.Length > 1)
{
    foreach (var path in args.AsSpan(1))
    {
        Console.Error.WriteLine(args[0] + ": " + path);
        using var file = File.OpenRead(path);
        target(file);
    }

    return 0;
}

SharpFuzz.Fuzzer.Run(target);
return 0;
