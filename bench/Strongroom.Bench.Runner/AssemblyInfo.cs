// bubblewrap, and so the runner, is Linux-only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
