// The runner sandboxes jobs with bubblewrap: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
