using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    internal static class JsonTests
    {
        public static Task Run()
        {
            var o = Json.ParseObject("{\"a\":1,\"b\":-2.5e1,\"c\":\"x\\\"\\\\\\n\\u00e9\\ud83d\\ude00\",\"d\":[true,false,null],\"e\":{},\"f\":12345678901234567890}");
            T.Equal(1L, (long)o["a"], "int");
            T.Equal(-25.0, (double)o["b"], "double");
            T.Equal("x\"\\\né😀", (string)o["c"], "escapes");
            var d = (List<object>)o["d"];
            T.Check(d.Count == 3 && (bool)d[0] && !(bool)d[1] && d[2] == null, "array");
            T.Check(o["e"] is Dictionary<string, object>, "empty object");
            T.Check(o["f"] is double, "big integer as double");
            string back = Json.Serialize(o);
            T.Equal(back, Json.Serialize(Json.Parse(back)), "round trip is stable");
            T.Equal("{\"s\":\"\\u0001\\n\\\"\",\"n\":[1,2.5,null],\"b\":true}",
                Json.Serialize(new Dictionary<string, object> { { "s", "\u0001\n\"" }, { "n", new object[] { 1, 2.5, null } }, { "b", true } }), "writer");
            T.Equal("中文", (string)Json.ParseObject(Json.Serialize(new Dictionary<string, object> { { "k", "中文" } }))["k"], "unicode");
            foreach (string bad in new[] { "", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "tru", "\"\\x\"", "01", "1.", "{'a':1}", "\"a\nb\"", "-" })
                T.Throws<FormatException>(() => { Json.Parse(bad); return Task.CompletedTask; }, "malformed " + bad);
            T.Check(Json.Parse(" [ ] ") is List<object>, "whitespace");
            return Task.CompletedTask;
        }
    }
}
