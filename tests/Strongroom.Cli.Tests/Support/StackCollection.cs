namespace Strongroom.Cli.Tests.Support;

/// <summary>Tests that start a whole stack run one at a time: two stacks on two cores starve each other.</summary>
[CollectionDefinition(Name)]
public sealed class StackCollection
{
    public const string Name = "real stack";
}
