using System.Text.Json;
using Strongroom.Testing;

namespace Strongroom.Crypto.Tests.Support;

/// <summary>One Wycheproof test case with its group.</summary>
internal sealed class WycheproofCase(JsonElement group, JsonElement test)
{
    public JsonElement Group { get; } = group;

    public int TcId => test.GetProperty("tcId").GetInt32();

    public string Result => test.GetProperty("result").GetString()!;

    public IReadOnlyList<string> Flags => [.. test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)];

    public byte[] Bytes(string name) => Convert.FromHexString(test.GetProperty(name).GetString()!);

    public int Int(string name) => test.GetProperty(name).GetInt32();

    public int GroupInt(string name) => Group.GetProperty(name).GetInt32();

    public override string ToString() => "tcId " + TcId + " (" + Result + ", " + string.Join(",", Flags) + ")";
}

/// <summary>A Wycheproof JSON file from tests/testdata/wycheproof.</summary>
internal sealed class WycheproofFile
{
    private WycheproofFile(int numberOfTests, IReadOnlyList<WycheproofCase> cases)
    {
        NumberOfTests = numberOfTests;
        Cases = cases;
    }

    public int NumberOfTests { get; }

    public IReadOnlyList<WycheproofCase> Cases { get; }

    public static WycheproofFile Load(string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.TestData("wycheproof", fileName)));
        JsonElement root = document.RootElement.Clone();
        var cases = new List<WycheproofCase>();
        foreach (JsonElement group in root.GetProperty("testGroups").EnumerateArray())
        {
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                cases.Add(new WycheproofCase(group, test));
            }
        }

        return new WycheproofFile(root.GetProperty("numberOfTests").GetInt32(), cases);
    }
}

/// <summary>How each case ended, counted so a test can pin the numbers and nothing is skipped silently.</summary>
internal sealed class WycheproofTally
{
    private readonly List<string> _mismatches = [];

    public int Total { get; private set; }

    /// <summary>In profile, accepted, and the output matched the vector.</summary>
    public int Passed { get; private set; }

    /// <summary>In profile and rejected (invalid, or acceptable where our policy rejects).</summary>
    public int Rejected { get; private set; }

    /// <summary>Outside our profile and refused with CryptoErrorKind.Unsupported.</summary>
    public int Unsupported { get; private set; }

    public IReadOnlyList<string> Mismatches => _mismatches;

    public void Accepted(WycheproofCase c, bool outputMatches, bool policyAccepts)
    {
        Total++;
        if (!policyAccepts)
        {
            _mismatches.Add(c + ": accepted but must be rejected");
        }
        else if (!outputMatches)
        {
            _mismatches.Add(c + ": output differs from the vector");
        }
        else
        {
            Passed++;
        }
    }

    public void RejectedCase(WycheproofCase c, bool policyAccepts)
    {
        Total++;
        if (policyAccepts)
        {
            _mismatches.Add(c + ": rejected but must be accepted");
        }
        else
        {
            Rejected++;
        }
    }

    public void UnsupportedCase(WycheproofCase c, bool expectedOutOfProfile)
    {
        Total++;
        if (!expectedOutOfProfile)
        {
            _mismatches.Add(c + ": refused as unsupported but is inside the profile");
        }
        else
        {
            Unsupported++;
        }
    }

    public void MissedUnsupported(WycheproofCase c)
    {
        Total++;
        _mismatches.Add(c + ": outside the profile but not refused as unsupported");
    }

    public void AssertCounts(WycheproofFile file, int total, int passed, int rejected, int unsupported)
    {
        Assert.Empty(_mismatches);
        Assert.Equal(file.NumberOfTests, file.Cases.Count);
        Assert.Equal(total, Total);
        Assert.Equal(file.NumberOfTests, Total);
        Assert.Equal((passed, rejected, unsupported), (Passed, Rejected, Unsupported));
        Assert.Equal(Total, Passed + Rejected + Unsupported);
    }

    public override string ToString() => $"total {Total}, passed {Passed}, rejected {Rejected}, unsupported {Unsupported}";
}
