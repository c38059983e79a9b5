using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Strongroom.Bench.Micro -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Strongroom.Bench.Micro.PrimitiveBenchmarks).Assembly).Run(args);
