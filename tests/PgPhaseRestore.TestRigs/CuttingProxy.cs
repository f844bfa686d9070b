using System.Net;
using System.Net.Sockets;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// A loopback relay in front of a server that, once, cuts the first connection to have carried more than a given
/// number of bytes back to its client, then turns every new connection away for a while: a server going away in the
/// middle of a response, at a byte the test chooses rather than at a moment a loaded machine may miss.
/// </summary>
public sealed class CuttingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly long _cutAfter;
    private readonly TimeSpan _downFor;
    private readonly CancellationTokenSource _stop = new();
    private long _cutAt = -1;
    private DateTime _upAgain = DateTime.MinValue;

    /// <param name="targetPort">The loopback port of the real server.</param>
    /// <param name="cutAfter">Bytes from the server after which the connection carrying them is cut.</param>
    /// <param name="downFor">How long new connections are then turned away.</param>
    public CuttingProxy(int targetPort, long cutAfter, TimeSpan downFor)
    {
        (_targetPort, _cutAfter, _downFor) = (targetPort, cutAfter, downFor);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>How many bytes the cut connection had carried back when it was cut; -1 before the cut.</summary>
    public long CutAt => Interlocked.Read(ref _cutAt);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (DateTime.UtcNow < _upAgain)
            {
                Reset(client);
                continue;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = PumpAsync(client.GetStream(), server.GetStream(), count: false, both.Token);
            var down = PumpAsync(server.GetStream(), client.GetStream(), count: true, both.Token);
            await Task.WhenAny(up, down);
            both.Cancel();
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
        }
        finally
        {
            Reset(client);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool count, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        long carried = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, ct)) > 0)
            {
                if (count && carried + n > _cutAfter && Interlocked.CompareExchange(ref _cutAt, carried, -1) == -1)
                {
                    _upAgain = DateTime.UtcNow + _downFor;
                    return;
                }
                await to.WriteAsync(buffer.AsMemory(0, n), ct);
                carried += n;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>Closes at once with a reset, as a server process that died would.</summary>
    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
