namespace System.Runtime.CompilerServices;

// netstandard2.0 lacks this marker type, which records' init accessors need (PolySharp is not on our package mirror).
internal static class IsExternalInit
{
}
