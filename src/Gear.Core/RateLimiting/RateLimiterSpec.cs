namespace Gear.Core.RateLimiting;

/// <summary>
/// The parameters of a table's rate limiter, with Reverb's semantics: samples may proceed while
/// inserts × <see cref="SamplesPerInsert"/> − samples stays at or above <see cref="MinDiff"/> (and the table
/// holds at least <see cref="MinSizeToSample"/> items); inserts may proceed while it stays at or below
/// <see cref="MaxDiff"/>.
/// </summary>
public sealed record RateLimiterSpec(double SamplesPerInsert, long MinSizeToSample, double MinDiff, double MaxDiff);
