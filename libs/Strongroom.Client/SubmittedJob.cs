using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Pki;

namespace Strongroom.Client;

/// <summary>
/// What the client keeps per submitted job: enough to verify its result later (the result must name
/// this job, this client and exactly this request digest). <paramref name="RecipientKid"/> is the
/// runner key the request was sealed to; it is not kept on disk.
/// </summary>
public sealed record SubmittedJob(string JobId, string JobName, string Format, byte[] RequestSha256, long SubmittedAt, string? RecipientKid = null)
{
    public const string StrongroomFormat = "strongroom";

    public const string StudioMlFormat = "studioml";

    /// <summary>Writes <c>jobs/JOB_ID.json</c> owner-only (the digest ties the client to what it asked).</summary>
    public void Save(ClientFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var json = new JsonObject
        {
            ["job_id"] = JobId,
            ["job"] = JobName,
            ["format"] = Format,
            ["request_sha256"] = Convert.ToHexStringLower(RequestSha256),
            ["submitted_at"] = SubmittedAt,
        };
        SecureFile.WriteAllText(folder.JobRecord(JobId), json.ToJsonString() + "\n", secret: true);
    }

    /// <summary>Null when this client folder has no record of the job (it was submitted elsewhere).</summary>
    public static SubmittedJob? Load(ClientFolder folder, string jobId)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = folder.JobRecord(jobId);
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        return new SubmittedJob(
            root.GetProperty("job_id").GetString()!,
            root.GetProperty("job").GetString()!,
            root.GetProperty("format").GetString()!,
            Convert.FromHexString(root.GetProperty("request_sha256").GetString()!),
            root.GetProperty("submitted_at").GetInt64());
    }
}
