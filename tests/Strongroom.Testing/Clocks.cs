namespace Strongroom.Testing;

/// <summary>
/// A clock the test moves by hand: wall time and timestamps (<see cref="TimeProvider.GetTimestamp"/>,
/// in ticks) move together and only on <see cref="Advance"/>. Timers stay the system's, so code that
/// waits still wakes up; only what it reads as "now" is the test's.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualClock()
        : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>The system clock plus an offset (fixed, or moved forward by the test): time still flows.</summary>
public sealed class ShiftedClock(TimeSpan shift) : TimeProvider
{
    private long _offsetTicks = shift.Ticks;

    public ShiftedClock()
        : this(TimeSpan.Zero)
    {
    }

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}
