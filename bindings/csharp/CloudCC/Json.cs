using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CloudCC
{
    /// <summary>A small, strict JSON reader and writer (netstandard2.0 has no built-in one); objects map to <see cref="Dictionary{TKey,TValue}"/> of string to object.</summary>
    /// <remarks>Parsed values: objects are <c>Dictionary&lt;string, object&gt;</c> (ordinal keys), arrays <c>List&lt;object&gt;</c>,
    /// strings <see cref="string"/>, integers <see cref="long"/> (or <see cref="double"/> when too large or fractional),
    /// <c>true</c>/<c>false</c> <see cref="bool"/>, and <c>null</c> null. The caller owns every returned object.</remarks>
    public static class Json
    {
        private const int MaxDepth = 256;

        /// <summary>Parses one JSON value from <paramref name="text"/>; throws <see cref="FormatException"/> on malformed input or trailing data.</summary>
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var r = new Reader(text);
            r.SkipWs();
            object v = r.ReadValue(0);
            r.SkipWs();
            if (r.Pos != text.Length) throw r.Error("trailing data");
            return v;
        }

        /// <summary>Parses <paramref name="text"/> and requires a JSON object; throws <see cref="FormatException"/> otherwise.</summary>
        public static Dictionary<string, object> ParseObject(string text)
        {
            var o = Parse(text) as Dictionary<string, object>;
            if (o == null) throw new FormatException("JSON: expected an object");
            return o;
        }

        /// <summary>Writes <paramref name="value"/> as compact JSON: dictionaries with string keys, enumerables, strings, numbers, booleans, enums (as numbers) and null.</summary>
        public static string Serialize(object value)
        {
            var sb = new StringBuilder(128);
            Write(sb, value, 0);
            return sb.ToString();
        }

        /// <summary>Appends <paramref name="s"/> as a quoted, escaped JSON string to <paramref name="sb"/>.</summary>
        public static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029')
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        private static void Write(StringBuilder sb, object v, int depth)
        {
            if (depth > MaxDepth) throw new ArgumentException("JSON: nesting too deep (a cycle?)");
            if (v is sbyte || v is byte || v is short || v is ushort || v is int || v is uint || v is long || v is ulong)
            {
                sb.Append(((IFormattable)v).ToString(null, CultureInfo.InvariantCulture));
                return;
            }
            if (v == null) { sb.Append("null"); return; }
            if (v is string s) { WriteString(sb, s); return; }
            if (v is bool b) { sb.Append(b ? "true" : "false"); return; }
            if (v is char ch) { WriteString(sb, ch.ToString()); return; }
            if (v is Enum e) { sb.Append(Convert.ToInt64(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)); return; }
            if (v is double d) { WriteDouble(sb, d); return; }
            if (v is float f) { WriteDouble(sb, f); return; }
            if (v is decimal m) { sb.Append(m.ToString(CultureInfo.InvariantCulture)); return; }
            if (v is RawJson raw) { sb.Append(raw.Text); return; }
            if (v is IDictionary dict)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry kv in dict)
                {
                    var key = kv.Key as string;
                    if (key == null) throw new ArgumentException("JSON: object keys must be strings");
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                return;
            }
            if (v is IEnumerable<KeyValuePair<string, object>> pairs)
            {
                sb.Append('{');
                bool first = true;
                foreach (var kv in pairs)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, kv.Key);
                    sb.Append(':');
                    Write(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                return;
            }
            if (v is IEnumerable list)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in list)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item, depth + 1);
                }
                sb.Append(']');
                return;
            }
            throw new ArgumentException("JSON: cannot write a value of type " + v.GetType().FullName);
        }

        private static void WriteDouble(StringBuilder sb, double d)
        {
            if (double.IsNaN(d) || double.IsInfinity(d)) throw new ArgumentException("JSON: NaN and infinities have no JSON form");
            sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
        }

        /// <summary>Text that <see cref="Serialize"/> writes as is: an already-encoded JSON value, owned by the caller.</summary>
        public sealed class RawJson
        {
            /// <summary>Wraps <paramref name="text"/>, which must be one valid JSON value (not checked).</summary>
            public RawJson(string text) { Text = text ?? throw new ArgumentNullException(nameof(text)); }

            /// <summary>The JSON text.</summary>
            public string Text { get; }
        }

        private sealed class Reader
        {
            private readonly string _s;
            public int Pos;

            public Reader(string s) { _s = s; }

            public FormatException Error(string what) =>
                new FormatException("JSON: " + what + " at offset " + Pos.ToString(CultureInfo.InvariantCulture));

            public void SkipWs()
            {
                while (Pos < _s.Length)
                {
                    char c = _s[Pos];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') Pos++;
                    else break;
                }
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting too deep");
                if (Pos >= _s.Length) throw Error("unexpected end");
                char c = _s[Pos];
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Expect("true"); return true;
                    case 'f': Expect("false"); return false;
                    case 'n': Expect("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) throw Error("bad literal");
                Pos += word.Length;
            }

            private Dictionary<string, object> ReadObject(int depth)
            {
                var o = new Dictionary<string, object>(StringComparer.Ordinal);
                Pos++; // {
                SkipWs();
                if (Pos < _s.Length && _s[Pos] == '}') { Pos++; return o; }
                while (true)
                {
                    SkipWs();
                    if (Pos >= _s.Length || _s[Pos] != '"') throw Error("expected a key");
                    string key = ReadString();
                    SkipWs();
                    if (Pos >= _s.Length || _s[Pos] != ':') throw Error("expected ':'");
                    Pos++;
                    SkipWs();
                    o[key] = ReadValue(depth + 1); // a repeated key keeps the last value
                    SkipWs();
                    if (Pos >= _s.Length) throw Error("unterminated object");
                    char c = _s[Pos++];
                    if (c == '}') return o;
                    if (c != ',') throw Error("expected ',' or '}'");
                }
            }

            private List<object> ReadArray(int depth)
            {
                var a = new List<object>();
                Pos++; // [
                SkipWs();
                if (Pos < _s.Length && _s[Pos] == ']') { Pos++; return a; }
                while (true)
                {
                    SkipWs();
                    a.Add(ReadValue(depth + 1));
                    SkipWs();
                    if (Pos >= _s.Length) throw Error("unterminated array");
                    char c = _s[Pos++];
                    if (c == ']') return a;
                    if (c != ',') throw Error("expected ',' or ']'");
                }
            }

            private string ReadString()
            {
                Pos++; // opening quote
                StringBuilder sb = null;
                int start = Pos;
                while (true)
                {
                    if (Pos >= _s.Length) throw Error("unterminated string");
                    char c = _s[Pos];
                    if (c == '"')
                    {
                        string tail = _s.Substring(start, Pos - start);
                        Pos++;
                        return sb == null ? tail : sb.Append(tail).ToString();
                    }
                    if (c < 0x20) throw Error("control character in string");
                    if (c != '\\') { Pos++; continue; }
                    if (sb == null) sb = new StringBuilder();
                    sb.Append(_s, start, Pos - start);
                    Pos++;
                    if (Pos >= _s.Length) throw Error("unterminated escape");
                    char e = _s[Pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (Pos + 4 > _s.Length) throw Error("short \\u escape");
                            int code;
                            if (!int.TryParse(_s.Substring(Pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                                throw Error("bad \\u escape");
                            sb.Append((char)code); // surrogate pairs arrive as two escapes and join up in UTF-16
                            Pos += 4;
                            break;
                        default: throw Error("bad escape");
                    }
                    start = Pos;
                }
            }

            private object ReadNumber()
            {
                int start = Pos;
                if (_s[Pos] == '-') Pos++;
                if (Pos >= _s.Length) throw Error("bad number");
                if (_s[Pos] == '0') Pos++;
                else if (_s[Pos] >= '1' && _s[Pos] <= '9') while (Pos < _s.Length && _s[Pos] >= '0' && _s[Pos] <= '9') Pos++;
                else throw Error("bad number");
                bool integral = true;
                if (Pos < _s.Length && _s[Pos] == '.')
                {
                    integral = false;
                    Pos++;
                    int d = Pos;
                    while (Pos < _s.Length && _s[Pos] >= '0' && _s[Pos] <= '9') Pos++;
                    if (Pos == d) throw Error("bad fraction");
                }
                if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
                {
                    integral = false;
                    Pos++;
                    if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-')) Pos++;
                    int d = Pos;
                    while (Pos < _s.Length && _s[Pos] >= '0' && _s[Pos] <= '9') Pos++;
                    if (Pos == d) throw Error("bad exponent");
                }
                string num = _s.Substring(start, Pos - start);
                if (integral && long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                return double.Parse(num, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Typed, tolerant reads from a parsed JSON object (the SDK's normalized fields); a missing or mistyped field gives the default.</summary>
    internal static class JsonFields
    {
        /// <summary>The field as text, null when it is absent, null or blank: an optional field the server left out (or sent empty) is absent, never "".</summary>
        public static string Present(IDictionary<string, object> o, string key)
        {
            string s = Str(o, key);
            return s == null || s.Trim().Length == 0 ? null : s;
        }

        public static string Str(IDictionary<string, object> o, string key)
        {
            if (o == null || !o.TryGetValue(key, out object v) || v == null) return null;
            if (v is string s) return s;
            if (v is bool b) return b ? "true" : "false";
            if (v is long l) return l.ToString(CultureInfo.InvariantCulture);
            if (v is double d) return d.ToString("R", CultureInfo.InvariantCulture);
            return Json.Serialize(v);
        }

        public static long? Long(IDictionary<string, object> o, string key)
        {
            if (o == null || !o.TryGetValue(key, out object v) || v == null) return null;
            if (v is long l) return l;
            if (v is double d) return (long)d;
            if (v is string s && long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long p)) return p;
            if (v is bool b) return b ? 1 : 0;
            return null;
        }

        public static double? Double(IDictionary<string, object> o, string key)
        {
            if (o == null || !o.TryGetValue(key, out object v) || v == null) return null;
            if (v is double d) return d;
            if (v is long l) return l;
            if (v is string s && double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double p)) return p;
            return null;
        }

        public static bool? Bool(IDictionary<string, object> o, string key)
        {
            if (o == null || !o.TryGetValue(key, out object v) || v == null) return null;
            if (v is bool b) return b;
            if (v is long l) return l != 0;
            if (v is double d) return d != 0;
            if (v is string s)
            {
                s = s.Trim();
                if (s == "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
                if (s == "0" || s.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
            }
            return null;
        }

        public static IReadOnlyList<string> StrList(IDictionary<string, object> o, string key)
        {
            if (o == null || !o.TryGetValue(key, out object v) || !(v is List<object> list)) return Array.Empty<string>();
            var r = new List<string>(list.Count);
            foreach (object item in list) r.Add(item as string ?? (item == null ? null : Json.Serialize(item)));
            return r;
        }

        public static IDictionary<string, object> Obj(IDictionary<string, object> o, string key)
        {
            if (o == null || !o.TryGetValue(key, out object v)) return null;
            return v as Dictionary<string, object>;
        }
    }
}
