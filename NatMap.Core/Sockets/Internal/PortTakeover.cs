using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace NatMap.Sockets.Internal;

/// <summary>
/// Lets the mapper share a local port that another process holds without SO_REUSEPORT: finds the
/// holding socket through /proc (its inode in /proc/net, then the <c>socket:[inode]</c> link under
/// /proc/*/fd), takes a duplicate of it with pidfd_open and pidfd_getfd (Linux 5.6, needs
/// CAP_SYS_PTRACE, in practice root), sets SO_REUSEPORT on it and closes the duplicate. The caller
/// then binds again with SO_REUSEPORT. The kernel only shares a port between sockets of the same
/// user, so a holder running as another user cannot be joined.
/// </summary>
internal sealed class PortTakeover
{
    private readonly ILogger _logger;
    private readonly string _procRoot;

    public PortTakeover(ILogger logger, string procRoot = "/proc")
    {
        _logger = logger;
        _procRoot = procRoot;
    }

    /// <summary>
    /// Sets SO_REUSEPORT on every socket of other processes that holds <paramref name="localEndPoint"/>.
    /// Returns false with the reason when none could be changed.
    /// </summary>
    public bool TryShare(IPEndPoint localEndPoint, ProtocolType protocol, out string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "taking over a port held by another process needs Linux (pidfd_getfd)";
            return false;
        }

        var holders = FindHolders(localEndPoint, protocol);
        if (holders.Count == 0)
        {
            reason = "no socket holding it was found in " + _procRoot + "/net (it may belong to another network namespace, or be in TIME_WAIT)";
            return false;
        }

        uint myUid = CurrentUid();
        if (holders.All(h => h.Uid != myUid))
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"it is held by uid {holders[0].Uid}, and the kernel shares a port (SO_REUSEPORT) only between sockets of one user (this process is uid {myUid})");
            return false;
        }

        var inodes = holders.Where(h => h.Uid == myUid).Select(h => h.Inode).ToHashSet();
        var owners = FindOwners(inodes);
        if (owners.Count == 0)
        {
            reason = "the holding socket's process was not found under " + _procRoot + "/*/fd (reading other processes' descriptors needs root)";
            return false;
        }

        string? lastError = null;
        int shared = 0;
        foreach (var (pid, fd, inode) in owners)
        {
            SocketsLog.HolderFound(_logger, localEndPoint, inode, pid, fd);
            if (TryShareOne(pid, fd, out lastError))
            {
                shared++;
                SocketsLog.HolderShared(_logger, pid, ProcessName(pid), localEndPoint);
            }
        }

        if (shared == 0)
        {
            reason = lastError ?? "no holding socket could be changed";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>The process id and name of a holder, for messages; empty when unknown.</summary>
    public string ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText(Path.Combine(_procRoot, pid.ToString(CultureInfo.InvariantCulture), "comm")).TrimEnd('\n');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    internal List<ProcNetSocket> FindHolders(IPEndPoint localEndPoint, ProtocolType protocol)
    {
        string stem = protocol == ProtocolType.Tcp ? "tcp" : "udp";
        var result = new List<ProcNetSocket>();
        foreach (var file in new[] { stem, stem + "6" })
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(_procRoot, "net", file));
            }
            catch (IOException)
            {
                continue;
            }

            // Inode 0 is a socket without a file (TIME_WAIT, or a child not yet accepted): nothing to share.
            result.AddRange(ProcNetTable.Parse(text).Where(row => row.Inode != 0 && ProcNetTable.Conflicts(row.LocalEndPoint, localEndPoint)));
        }

        return result;
    }

    internal List<(int Pid, int Fd, ulong Inode)> FindOwners(HashSet<ulong> inodes)
    {
        var owners = new List<(int, int, ulong)>();
        int self = Environment.ProcessId;
        IEnumerable<string> processes;
        try
        {
            processes = Directory.EnumerateDirectories(_procRoot);
        }
        catch (IOException)
        {
            return owners;
        }

        foreach (var dir in processes)
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == self)
            {
                continue;
            }

            try
            {
                foreach (var link in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    if (new FileInfo(link).LinkTarget is { } target && TryParseSocketLink(target, out ulong inode) && inodes.Contains(inode)
                        && int.TryParse(Path.GetFileName(link), NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
                    {
                        owners.Add((pid, fd, inode));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended, or its descriptors are not ours to read: skip it.
            }
        }

        return owners;
    }

    internal static bool TryParseSocketLink(string target, out ulong inode)
    {
        inode = 0;
        const string Prefix = "socket:[";
        return target.StartsWith(Prefix, StringComparison.Ordinal) && target.EndsWith(']')
            && ulong.TryParse(target.AsSpan(Prefix.Length, target.Length - Prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out inode);
    }

    private static bool TryShareOne(int pid, int fd, out string? error)
    {
        int pidfd = LinuxSyscalls.PidfdOpen(pid, out int errno);
        if (pidfd < 0)
        {
            error = Describe("pidfd_open", pid, errno);
            return false;
        }

        try
        {
            int copy = LinuxSyscalls.PidfdGetfd(pidfd, fd, out errno);
            if (copy < 0)
            {
                error = Describe("pidfd_getfd", pid, errno);
                return false;
            }

            try
            {
                errno = LinuxSyscalls.SetReusePort(copy);
                error = errno == 0 ? null : Describe("setsockopt(SO_REUSEPORT)", pid, errno);
                return errno == 0;
            }
            finally
            {
                LinuxIo.Close(copy);
            }
        }
        finally
        {
            LinuxIo.Close(pidfd);
        }
    }

    private static string Describe(string call, int pid, int errno) => errno switch
    {
        LinuxIo.ENOSYS => call + " is missing: taking over a port needs Linux 5.6 or later",
        LinuxIo.EPERM => string.Create(CultureInfo.InvariantCulture, $"{call} on process {pid} was refused: taking over a port needs root (CAP_SYS_PTRACE)"),
        LinuxIo.ESRCH => string.Create(CultureInfo.InvariantCulture, $"process {pid} ended"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{call} on process {pid} failed with errno {errno}"),
    };

    private uint CurrentUid()
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(_procRoot, "self", "status")))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var fields = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);

                    // Uid: real effective saved fs; the kernel compares the effective uid.
                    if (fields.Length > 2 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
                    {
                        return uid;
                    }
                }
            }
        }
        catch (IOException)
        {
        }

        return uint.MaxValue;
    }
}
