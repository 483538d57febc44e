using System.Text;

namespace NatMap.Tests.Cli;

/// <summary>A string writer that lets a test wait until a number of lines were written.</summary>
internal sealed class LineWriter : StringWriter
{
    private readonly object _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _lines;

    public override Encoding Encoding => Encoding.UTF8;

    public string[] Lines => ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        lock (_gate)
        {
            _lines++;
            foreach (var waiter in _waiters.Where(w => w.Count <= _lines))
            {
                waiter.Done.TrySetResult();
            }
        }
    }

    public Task WaitForLinesAsync(int count)
    {
        lock (_gate)
        {
            if (_lines >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }
}
