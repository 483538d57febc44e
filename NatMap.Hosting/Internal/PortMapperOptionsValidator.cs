using Microsoft.Extensions.Options;
using NatMap.Mapping;

namespace NatMap.Hosting.Internal;

/// <summary>
/// Validates each registered mapping's <see cref="PortMapperOptions"/> when the host starts
/// (ValidateOnStart): configuration text that did not parse, then <see cref="PortMapperOptions.Validate"/>.
/// </summary>
internal sealed class PortMapperOptionsValidator : IValidateOptions<PortMapperOptions>
{
    private readonly PortMappingRegistrations _registrations;

    public PortMapperOptionsValidator(PortMappingRegistrations registrations) => _registrations = registrations;

    public ValidateOptionsResult Validate(string? name, PortMapperOptions options)
    {
        if (name is null || !_registrations.Names.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        if (_registrations.Problems.TryGetValue(name, out var problem))
        {
            return ValidateOptionsResult.Fail($"port mapping '{name}': {problem}");
        }

        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            // The option's name leads; the exception's own " (Parameter 'X')" suffix would say it twice.
            string message = ex.Message;
            int suffix = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
            return ValidateOptionsResult.Fail($"port mapping '{name}': {ex.ParamName}: {(suffix >= 0 ? message[..suffix] : message)}");
        }
    }
}
