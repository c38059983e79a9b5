using System.ComponentModel.DataAnnotations;

namespace Strongroom.KeyPublishing;

/// <summary>Where and how key publications (outbox rows) are delivered to storage; a service's <c>Publishing</c> section.</summary>
public sealed class PublishingOptions
{
    /// <summary>https://host:port of storage's public listener.</summary>
    [Required]
    public string Address { get; set; } = "https://127.0.0.1:7404";

    /// <summary>The identity storage's certificate must carry.</summary>
    [Required]
    public string Identity { get; set; } = "storage";

    /// <summary>Deadline of each PublishKey / PublishKeyEvent call.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait after a failed delivery before the outbox is tried again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Off: rows accumulate in the outbox and nothing is sent (e.g. before storage exists).</summary>
    public bool Enabled { get; set; } = true;
}
