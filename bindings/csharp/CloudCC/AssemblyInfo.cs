using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("CloudCC")]
[assembly: AssemblyDescription("C# binding of the CloudCC Agent SDK (libcloudcc)")]
[assembly: InternalsVisibleTo("CloudCC.Tests")]
[assembly: InternalsVisibleTo("CloudCC.Bench")]
