namespace Strongroom.Fuzz;

/// <summary>
/// One fuzz target: a body that feeds the input to one or more parsers, each call wrapped in
/// <see cref="Parse"/>, which swallows only the exceptions the target documents as clean
/// rejections. Whatever else escapes <see cref="Run"/> is a crash.
/// </summary>
public sealed class FuzzTarget
{
    private readonly Func<Exception, bool> _isCleanRejection;
    private readonly Action<FuzzTarget, byte[]> _body;

    public FuzzTarget(string name, string description, string cleanRejections, Func<Exception, bool> isCleanRejection, Action<FuzzTarget, byte[]> body)
    {
        Name = name;
        Description = description;
        CleanRejections = cleanRejections;
        _isCleanRejection = isCleanRejection;
        _body = body;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>The exceptions documented as clean rejections, in words (for --list and the docs).</summary>
    public string CleanRejections { get; }

    /// <summary>Runs the body; throws only on a crash (an exception outside the documented rejections).</summary>
    public void Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _body(this, input);
    }

    /// <summary>True when <paramref name="exception"/> is one of this target's documented rejections.</summary>
    public bool IsCleanRejection(Exception exception) => _isCleanRejection(exception);

    /// <summary>Calls one parser; a documented rejection counts as a clean result.</summary>
    public bool Parse(Action parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        try
        {
            parse();
            return true;
        }
        catch (Exception e) when (_isCleanRejection(e))
        {
            return false;
        }
    }

    /// <summary>Calls one parser and returns its value, or default when it rejected the input cleanly.</summary>
    public T? Parse<T>(Func<T> parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        try
        {
            return parse();
        }
        catch (Exception e) when (_isCleanRejection(e))
        {
            return default;
        }
    }

    public override string ToString() => Name;
}

/// <summary>The outcome of one input: clean (accepted or rejected as documented) or a crash.</summary>
public sealed record FuzzOutcome(string Target, Exception? Crash, TimeSpan Elapsed)
{
    public bool IsCrash => Crash is not null;
}

/// <summary>Runs inputs in-process and classifies them; what the CI replay and mutation pass use.</summary>
public static class FuzzHarness
{
    /// <summary>One input; never throws for a target's exception (it is returned as the crash).</summary>
    public static FuzzOutcome Execute(FuzzTarget target, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(target);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            target.Run(input);
            return new FuzzOutcome(target.Name, null, watch.Elapsed);
        }
#pragma warning disable CA1031 // A fuzz harness must catch everything: anything caught here is the finding.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new FuzzOutcome(target.Name, e, watch.Elapsed);
        }
    }
}
