namespace Gear.Server.Configuration;

/// <summary>
/// A raw setting together with the field it came from (config path, flag or environment variable), kept
/// until validation so that an error can name the place the user wrote the value.
/// </summary>
/// <typeparam name="T">The raw value's type.</typeparam>
/// <param name="Value">The value as given.</param>
/// <param name="Field">Where it was given: "listen.grpc", "--grpc", "GEAR_TOKENS (entry 2)".</param>
public readonly record struct Sourced<T>(T Value, string Field);
