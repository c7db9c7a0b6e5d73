using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("CloudCC")]
[assembly: AssemblyDescription("C# binding of the CloudCC Agent SDK (libcloudcc)")]
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: InternalsVisibleTo("CloudCC.Tests")]
[assembly: InternalsVisibleTo("CloudCC.Bench")]
