using System.Net;

namespace NatMap.Sockets.Internal;

/// <summary>One row of /proc/net/{tcp,tcp6,udp,udp6}: the local endpoint, the owner's uid and the socket inode.</summary>
internal readonly record struct ProcNetSocket(IPEndPoint LocalEndPoint, int State, uint Uid, ulong Inode);
