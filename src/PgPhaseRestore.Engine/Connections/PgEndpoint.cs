namespace PgPhaseRestore.Engine.Connections;

/// <summary>One server of the host list: a host name or address and its port, or a socket directory.</summary>
internal sealed record PgEndpoint(string Host, string Port, bool IsSocket, bool DefaultSocket)
{
    /// <summary>Where libpq looks for the server's socket when no host is given (Debian's builds, then upstream's).</summary>
    public static readonly string[] DefaultSocketDirectories = ["/var/run/postgresql", "/tmp"];

    /// <summary>
    /// The servers tried in order, as libpq lists them: host (or hostaddr) items paired with port items (one port
    /// serving every host); an empty host is the local socket directory that holds this port's socket.
    /// </summary>
    public static IReadOnlyList<PgEndpoint> List(string? host, string? hostaddr, string? port)
    {
        var hosts = Items(host);
        var addrs = Items(hostaddr);
        if (hosts.Count > 1 && addrs.Count > 1 && hosts.Count != addrs.Count)
            throw new PgPhaseException($"connection string: {addrs.Count} hostaddr items do not pair with {hosts.Count} hosts", PgPhaseErrorCode.InvalidInput);
        int count = Math.Max(1, Math.Max(hosts.Count, addrs.Count)); // no host at all is one empty host
        var ports = Items(port);
        if (ports.Count > 1 && ports.Count != count)
            throw new PgPhaseException($"connection string: {ports.Count} ports do not pair with {count} hosts (give one port for all, or one per host)", PgPhaseErrorCode.InvalidInput);
        var result = new List<PgEndpoint>(count);
        for (int i = 0; i < count; i++)
        {
            var h = i < hosts.Count ? hosts[i] : "";
            var addr = i < addrs.Count ? addrs[i] : "";
            var p = ports.Count == 0 ? "" : ports[ports.Count == 1 ? 0 : i];
            if (p.Length == 0)
                p = "5432";
            if (h.Length == 0 && addr.Length == 0)
                result.Add(LocalSocket(p));
            else if (h.StartsWith('/'))
                result.Add(new PgEndpoint(h, p, true, DefaultSocketDirectories.Contains(h.TrimEnd('/'))));
            else
                result.Add(new PgEndpoint(h.Length > 0 ? h : addr, p, false, false));
        }
        return result;
    }

    /// <summary>The items of a comma-separated host, hostaddr or port list.</summary>
    public static List<string> Items(string? list) =>
        string.IsNullOrEmpty(list) ? [] : list.Split(',', StringSplitOptions.TrimEntries).ToList();

    /// <summary>The first default directory holding this port's socket; without one, the first that exists (libpq's default).</summary>
    private static PgEndpoint LocalSocket(string port)
    {
        if (OperatingSystem.IsWindows())
            return new PgEndpoint("localhost", port, false, false);
        var dir = DefaultSocketDirectories.FirstOrDefault(d => File.Exists(Path.Combine(d, ".s.PGSQL." + port)))
                  ?? DefaultSocketDirectories.FirstOrDefault(Directory.Exists) ?? DefaultSocketDirectories[0];
        return new PgEndpoint(dir, port, true, true);
    }

    /// <summary>host:port, an IPv6 address in brackets.</summary>
    public override string ToString() => Host.Contains(':') && !IsSocket ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
