namespace EventRouter.Benchmarks;
public static class QuickMode { public static int Run() => 0; }
