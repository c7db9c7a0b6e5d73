using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    /// <summary>The binding's tables against the C ABI's contract, include/cloudcc.abi.json (written by `go test ./capi/internal/abi -run TestABIContract -update`): statuses and exceptions, config keys (every one a <see cref="ClientOptions"/> property reaching the config JSON with its name and type), request, HTTP and media names, event types and their fields, enumerations. No server needed.</summary>
    internal static class AbiContract
    {
        private static Dictionary<string, object> s_contract;

        /// <summary>The contract: $CLOUDCC_ABI_CONTRACT (run_tests.sh sets it), else include/cloudcc.abi.json above the test's folder or the working folder.</summary>
        private static Dictionary<string, object> Contract
        {
            get
            {
                if (s_contract != null) return s_contract;
                string path = Environment.GetEnvironmentVariable("CLOUDCC_ABI_CONTRACT");
                if (string.IsNullOrEmpty(path))
                {
                    foreach (string start in new[] { AppDomain.CurrentDomain.BaseDirectory, Directory.GetCurrentDirectory() })
                    {
                        for (var d = new DirectoryInfo(start); d != null && path == null; d = d.Parent)
                        {
                            string cand = Path.Combine(d.FullName, "include", "cloudcc.abi.json");
                            if (File.Exists(cand)) path = cand;
                        }
                        if (path != null) break;
                    }
                }
                if (path == null) throw new FileNotFoundException("include/cloudcc.abi.json not found: set CLOUDCC_ABI_CONTRACT");
                return s_contract = Json.ParseObject(File.ReadAllText(path));
            }
        }

        // The sound-device calls work outside RTC mode too (before check-in): they may answer where the others are refused.
        private static readonly HashSet<string> s_answerBeforeCheckin = new HashSet<string> { "audio_devices", "audio_select", "audio_processing", "audio_ringtone" };

        private static IEnumerable<Dictionary<string, object>> Objects(string key) => ((List<object>)Contract[key]).Cast<Dictionary<string, object>>();

        private static IEnumerable<string> Strings(string key) => ((List<object>)Contract[key]).Cast<string>();

        /// <summary>snake_case or kebab-case to PascalCase: "get-token" → "GetToken", "rtc_url_template" → "RtcUrlTemplate".</summary>
        private static string Pascal(string s) =>
            string.Concat(s.Split('_', '-').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1).ToLowerInvariant()));

        /// <summary>PascalCase to snake_case: "InCallNumbers" → "in_call_numbers".</summary>
        private static string Snake(string s) =>
            string.Concat(s.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

        public static Task Statuses()
        {
            var statuses = Objects("statuses").ToList();
            foreach (var s in statuses)
            {
                string name = (string)s["name"];
                int value = (int)(long)s["value"];
                string member = Pascal(name.StartsWith("CC_ERR_", StringComparison.Ordinal) ? name.Substring(7) : name.Substring(3));
                T.Check(Enum.IsDefined(typeof(Status), value) && Enum.GetName(typeof(Status), value) == member, "Status." + member + " = " + value + " (" + name + ")");
                T.Equal((string)s["text"], CloudCCClient.StatusName(value), "cc_status_str(" + value + ")");
                if (value == 0) continue;
                Exception e = Errors.FromStatus(value, "{\"code\":\"" + value + "\",\"msg\":\"m\"}");
                var ce = e as CloudCCException;
                var ae = e as CloudCCArgumentException;
                T.Check((ce != null && (int)ce.Status == value) || (ae != null && (int)ae.Status == value), name + " throws " + e.GetType().Name + " of its status");
            }
            T.Equal(statuses.Count, Enum.GetValues(typeof(Status)).Length, "Status members = the contract's statuses");
            T.Equal((string)Contract["status_unknown_text"], CloudCCClient.StatusName(12345), "cc_status_str of an unknown status");
            return Task.CompletedTask;
        }

        /// <summary>The sample of a config key as the property of type <paramref name="t"/> takes it.</summary>
        private static object OptionValue(Type t, object sample)
        {
            Type u = Nullable.GetUnderlyingType(t) ?? t;
            if (u == typeof(string) || u == typeof(bool)) return sample;
            if (u == typeof(int)) return Convert.ToInt32(sample);
            if (u == typeof(long)) return Convert.ToInt64(sample);
            if (u == typeof(TimeSpan)) return TimeSpan.FromMilliseconds(Convert.ToDouble(sample));
            if (u.IsEnum) return Enum.GetValues(u).Cast<Enum>().FirstOrDefault(m => Wire.Name(m, lower: true) == (string)sample);
            if (u == typeof(IList<IceServer>))
                return ((List<object>)sample).Cast<Dictionary<string, object>>().Select(d => new IceServer(((List<object>)d["urls"]).Cast<string>().ToArray())
                {
                    Username = (string)d["username"],
                    Credential = (string)d["credential"],
                }).ToList();
            throw new NotSupportedException("no sample conversion to " + t);
        }

        private static string JsonType(object v)
        {
            if (v is string) return "string";
            if (v is bool) return "boolean";
            if (v is long) return "integer";
            if (v is double) return "number";
            if (v is List<object>) return "array";
            return v == null ? "null" : "object";
        }

        /// <summary>Parsed JSON values equal, objects whatever their key order, numbers whatever their type.</summary>
        private static bool JsonEqual(object a, object b)
        {
            if (a == null || b == null) return a == b;
            if ((a is long || a is double) && (b is long || b is double)) return Convert.ToDouble(a) == Convert.ToDouble(b);
            if (a is List<object> la && b is List<object> lb) return la.Count == lb.Count && la.Zip(lb, JsonEqual).All(x => x);
            if (a is Dictionary<string, object> da && b is Dictionary<string, object> db)
                return da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out object v) && JsonEqual(kv.Value, v));
            return a.Equals(b);
        }

        public static Task Config()
        {
            var props = typeof(ClientOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.Name != nameof(ClientOptions.EventContext)).ToDictionary(p => p.Name);
            var all = new ClientOptions();
            var samples = new Dictionary<string, object>();
            var used = new HashSet<string>();
            foreach (var k in Objects("config"))
            {
                string key = (string)k["key"], type = (string)k["type"];
                bool ms = k.TryGetValue("unit", out object unit) && (string)unit == "ms";
                object sample = k["sample"];
                samples[key] = sample;
                string name = Pascal(ms ? key.Substring(0, key.Length - 3) : key);
                if (!props.TryGetValue(name, out PropertyInfo p))
                {
                    T.Check(false, "ClientOptions has no " + name + " (config " + key + ")");
                    continue;
                }
                used.Add(name);
                T.Check(!ms || p.PropertyType == typeof(TimeSpan?), name + " is a TimeSpan");
                object v = OptionValue(p.PropertyType, sample);
                T.Check(v != null, name + " takes " + Json.Serialize(sample));
                var one = new ClientOptions { WsUrl = "ws://h/ws" };
                p.SetValue(one, v);
                p.SetValue(all, v);
                var got = Json.ParseObject(one.ToConfigJson());
                T.Check(got.TryGetValue(key, out object g) && JsonEqual(g, sample) && JsonType(g) == type,
                    name + " → \"" + key + "\": " + Json.Serialize(sample) + " (" + type + "), got " + one.ToConfigJson());
            }
            foreach (string name in props.Keys) T.Check(used.Contains(name), "ClientOptions." + name + " is no config key of the contract");
            string json = all.ToConfigJson();
            T.Check(JsonEqual(Json.ParseObject(json), samples), "the options of every sample give the contract's samples: " + json);
            using (var c = new CloudCCClient(all)) T.Check(!c.IsDisposed, "the library takes the config of every sample");
            // -1 (off / never) from InfiniteTimeSpan.
            var off = Json.ParseObject(new ClientOptions
            {
                WsUrl = "ws://h/ws", RtcKeepalive = Timeout.InfiniteTimeSpan, RtcRingTimeout = Timeout.InfiniteTimeSpan,
                RtcMediaTimeout = TimeSpan.FromMilliseconds(-5), HeartbeatInterval = TimeSpan.Zero,
            }.ToConfigJson());
            T.Check(off.Where(kv => kv.Key != "ws_url").All(kv => (long)kv.Value == -1L) && off.Count == 5, "infinite durations are -1: " + Json.Serialize(off));
            return Task.CompletedTask;
        }

        // The contract's enumerations and the binding's enum of each.
        private static readonly Dictionary<string, Type> s_enums = new Dictionary<string, Type>
        {
            { "agent_status", typeof(AgentStatus) }, { "sub_status", typeof(SubStatus) }, { "status_action", typeof(StatusAction) },
            { "callback_action", typeof(CallbackAction) }, { "callback_phase", typeof(CallPhase) }, { "callin_channel", typeof(CallinChannel) },
            { "media_direction", typeof(MediaDirection) }, { "trans_mode", typeof(TransMode) }, { "trans_target", typeof(TransTarget) },
            { "consult_mode", typeof(ConsultMode) }, { "party_type", typeof(PartyType) }, { "out_line", typeof(OutLine) },
            { "dtmf_type", typeof(DtmfType) }, { "service_mode", typeof(ServiceMode) }, { "record_start", typeof(RecordStart) },
            { "play_action", typeof(PlayAction) }, { "connection_state", typeof(ConnectionState) }, { "log_level", typeof(LogLevel) },
        };

        /// <summary>An enum member as the binding puts it on the wire (or reads it), in the contract's terms.</summary>
        private static object WireValue(Enum m, string type, IList<object> values)
        {
            if (type == "integer") return Convert.ToInt64(m);
            if (m is CallinChannel ch && ch == CallinChannel.Normal) return "";
            if (values.Cast<string>().All(v => v.Length > 0 && v.All(char.IsDigit))) return Wire.Num(m);
            bool lower = values.Cast<string>().All(v => v == v.ToLowerInvariant());
            return Wire.Name(m, lower);
        }

        public static Task Enums()
        {
            var names = new HashSet<string>();
            foreach (var e in Objects("enums"))
            {
                string name = (string)e["name"];
                names.Add(name);
                if (!s_enums.TryGetValue(name, out Type t))
                {
                    T.Check(false, "the contract's enumeration " + name + " has no enum in the binding");
                    continue;
                }
                var values = (List<object>)e["values"];
                var ours = Enum.GetValues(t).Cast<Enum>().Where(m => m.ToString() != "Unknown").Select(m => WireValue(m, (string)e["type"], values)).ToList();
                T.Check(ours.Count == values.Count && values.All(v => ours.Any(o => JsonEqual(o, v))),
                    name + ": " + Json.Serialize(values) + ", the binding's " + t.Name + ": " + Json.Serialize(ours));
            }
            T.Check(names.SetEquals(s_enums.Keys), "the binding's enums are the contract's");
            return Task.CompletedTask;
        }

        /// <summary>A placeholder argument of type t: what a request method needs to build its request.</summary>
        private static object Arg(ParameterInfo p)
        {
            Type t = p.ParameterType;
            if (t == typeof(CancellationToken)) return CancellationToken.None;
            if (p.HasDefaultValue) return p.DefaultValue ?? (t.IsValueType ? Activator.CreateInstance(t) : null);
            if (t == typeof(string)) return "1";
            if (t == typeof(int)) return 1;
            if (t == typeof(bool)) return true;
            if (t.IsEnum) return Enum.GetValues(t).Cast<object>().First(v => v.ToString() != "Unknown");
            if (t == typeof(CallOptions)) return new CallOptions();
            throw new NotSupportedException("no placeholder for " + t + " " + p.Name);
        }

        /// <summary>Every request method, called on a client without a token: the library refuses to send it (or, for checkin, cannot reach the server), and its error names the msg_type the method built.</summary>
        public static async Task Requests()
        {
            var http = new HashSet<string>(Strings("http").Select(n => Pascal(n) + "Async"));
            var sent = new Dictionary<string, string>();
            using (var c = new CloudCCClient(new ClientOptions
            {
                WsUrl = "ws://127.0.0.1:1/ws", CompanyCode = "090008", AgentId = "090008_6000", ExtId = "090008_5000",
                Reconnect = false, HeartbeatInterval = Timeout.InfiniteTimeSpan, Language = "en-US", LogLevel = CloudCC.LogLevel.Off,
            }))
            {
                var methods = typeof(CloudCCClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                    .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal) && m.Name != nameof(CloudCCClient.RequestAsync)
                        && m.Name != nameof(CloudCCClient.PrecallTestAsync)); // a media call (Media below)
                foreach (MethodInfo m in methods)
                {
                    Exception err = null;
                    try
                    {
                        await ((Task)m.Invoke(c, m.GetParameters().Select(Arg).ToArray())).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        err = e;
                    }
                    if (http.Contains(m.Name))
                    {
                        // No http_url: a name the library dispatches is refused for that, never as unknown.
                        T.Check(err is CloudCCArgumentException && err.Message.Contains("http_url") && !err.Message.Contains("unknown HTTP call"),
                            m.Name + ": " + err);
                        continue;
                    }
                    string raw = (err as CloudCCException)?.RawJson ?? (err as CloudCCArgumentException)?.RawJson;
                    object mt = null;
                    if (raw != null) Json.ParseObject(raw).TryGetValue("msg_type", out mt);
                    T.Check(mt is string, m.Name + " failed without naming its request: " + err);
                    if (mt is string s) sent[m.Name] = s;
                }
            }
            foreach (string mt in Strings("requests"))
                T.Check(sent.TryGetValue(Pascal(mt) + "Async", out string got) && got == mt, Pascal(mt) + "Async sends " + mt);
            T.Check(new HashSet<string>(sent.Values).SetEquals(Strings("requests")), "the requests the methods send are the contract's: " + string.Join(",", sent.Values));
            foreach (string h in http) T.Check(typeof(CloudCCClient).GetMethod(h) != null, "CloudCCClient has " + h);
        }

        // The media calls of the binding, by the contract's name.
        private static readonly Dictionary<string, Action<CloudCCClient>> s_media = new Dictionary<string, Action<CloudCCClient>>
        {
            { "play_wav", c => c.PlayWav("x.wav") },
            { "play_tone", c => c.PlayTone(440) },
            { "stop_play", c => c.StopPlay() },
            { "record_wav", c => c.RecordWav("x.wav") },
            { "stop_record", c => c.StopRecord() },
            { "stats", c => c.CallStats() },
            { "calls", c => c.RtcCalls() },
            { "audio_devices", c => c.Audio.GetDevicesAsync().GetAwaiter().GetResult() },
            { "audio_select", c => c.Audio.SelectSpeakerAsync("x").GetAwaiter().GetResult() },
            { "audio_processing", c => c.Audio.SetProcessingAsync(aec: true).GetAwaiter().GetResult() },
            { "audio_ringtone", c => c.Audio.SetRingtoneAsync(Ringtones.Off).GetAwaiter().GetResult() },
            { "precall_test", c => c.PrecallTestAsync(null, TimeSpan.FromSeconds(1)).GetAwaiter().GetResult() },
        };

        public static Task Media()
        {
            var contract = new HashSet<string>(Strings("media"));
            T.Check(new HashSet<string>(s_media.Keys).SetEquals(contract), "the binding's media calls are the contract's: " + string.Join(",", contract));
            using (var c = new CloudCCClient(new ClientOptions { WsUrl = "ws://127.0.0.1:1/ws", Language = "en-US" }))
            {
                foreach (var kv in s_media.Where(kv => contract.Contains(kv.Key)))
                {
                    Exception err = null;
                    try { kv.Value(c); } catch (Exception e) { err = e; }
                    // Outside RTC mode: refused for that (the sound devices may answer), never as an unknown name.
                    T.Check((err != null || s_answerBeforeCheckin.Contains(kv.Key)) && (err == null || !err.Message.Contains("unknown media call")), kv.Key + ": " + err);
                }
            }
            return Task.CompletedTask;
        }

        // A typed property whose field the snake_case of its name does not give ("XName" reads X's field).
        private static readonly Dictionary<string, string> s_fieldOf = new Dictionary<string, string>
        {
            { "CallbackEventArgs.CurrentTime", "curren_time" },
            { "CallinEventArgs.Channel", "callin_channel" },
            { "AgentChangeEventArgs.Status", "agent_status" },
            { "AgentChangeEventArgs.SubStatus", "sub_agent_status" },
            { "AgentChangeEventArgs.LastStatus", "last_agent_status" },
            { "ConnectionStateChangedEventArgs.Delay", "delay_ms" },
            { "RtcRegistrationChangedEventArgs.ExpiresSeconds", "expires_s" },
            { "SessionRestoredEventArgs.Succeeded", "error" },
            { "AudioDeviceFallbackEventArgs.OldDevice", "old" },
            { "AudioDeviceFallbackEventArgs.NewDevice", "new" },
            { "AudioDeviceErrorEventArgs.DeviceId", "id" },
            { "CallQualityWarningEventArgs.Warning", "name" },
        };

        private static string FieldOf(Type cls, string prop)
        {
            if (s_fieldOf.TryGetValue(cls.Name + "." + prop, out string f)) return f;
            if (prop.EndsWith("Name", StringComparison.Ordinal) && cls.GetProperty(prop.Substring(0, prop.Length - 4)) != null)
                return FieldOf(cls, prop.Substring(0, prop.Length - 4));
            return Snake(prop);
        }

        /// <summary>The typed properties of an event class (those of <see cref="RtcStatsEventArgs.Stats"/> included) and the value of each in <paramref name="args"/>.</summary>
        private static IEnumerable<KeyValuePair<PropertyInfo, object>> Typed(CloudCCEventArgs args)
        {
            foreach (PropertyInfo p in args.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (p.DeclaringType == typeof(CloudCCEventArgs)) continue;
                object v = p.GetValue(args);
                if (v is CallStats stats)
                {
                    foreach (PropertyInfo sp in typeof(CallStats).GetProperties())
                        if (sp.Name != nameof(CallStats.Fields) && sp.Name != nameof(CallStats.RawJson)) yield return new KeyValuePair<PropertyInfo, object>(sp, sp.GetValue(stats));
                    continue;
                }
                yield return new KeyValuePair<PropertyInfo, object>(p, v);
            }
        }

        /// <summary>Whether a typed property's value is what the field sent.</summary>
        private static bool Matches(object v, object sent)
        {
            if (v == null) return sent == null;
            if (v is string) return (string)v == sent as string;
            if (v is MediaDirection) return JsonEqual((long)(MediaDirection)v, sent);
            if (v is CallinChannel && (CallinChannel)v == CallinChannel.Normal) return (sent as string) == "";
            if (v is Enum && v.ToString() == "Unknown") return sent is string; // a value outside the binding's enum
            if (v is AudioDeviceRef r)
                return sent is Dictionary<string, object> d && JsonFields.Str(d, "id") == r.Id && (r.Name == null || JsonFields.Str(d, "name") == r.Name);
            if (v is Enum) return string.Equals(Wire.Name((Enum)v), sent as string, StringComparison.OrdinalIgnoreCase);
            if (v is bool) return sent is bool ? (bool)sent == (bool)v : sent is long && ((long)sent != 0) == (bool)v;
            if (v is int || v is long || v is double) return JsonEqual(Convert.ToDouble(v), sent);
            if (v is TimeSpan) return JsonEqual(((TimeSpan)v).TotalMilliseconds, sent);
            if (v is DateTimeOffset) return sent is string;
            if (v is IReadOnlyList<string>) return sent is List<object> && ((IReadOnlyList<string>)v).SequenceEqual(((List<object>)sent).Cast<string>());
            if (v is IReadOnlyList<ConnectivityCall>) return sent is List<object> && ((IReadOnlyList<ConnectivityCall>)v).Count == ((List<object>)sent).Count;
            if (v is IReadOnlyDictionary<string, object>) return sent is Dictionary<string, object> && ((IReadOnlyDictionary<string, object>)v).Count == ((Dictionary<string, object>)sent).Count;
            return false;
        }

        public static Task Events()
        {
            var typed = new HashSet<Type>();
            foreach (var e in Objects("events"))
            {
                string mt = (string)e["msg_type"];
                var fields = (Dictionary<string, object>)e["fields"];
                foreach (Dictionary<string, object> sample in (List<object>)e["samples"])
                {
                    CloudCCEventArgs args = CloudCCEventArgs.Create(Json.Serialize(sample));
                    T.Check(!(args is UnknownEventArgs) && args.MsgType == mt, mt + " parses as " + args.GetType().Name);
                    Type cls = args.GetType();
                    typed.Add(cls);
                    T.Check(typeof(CloudCCClient).GetEvents().Any(ev => ev.EventHandlerType == typeof(EventHandler<>).MakeGenericType(cls)), "CloudCCClient raises " + cls.Name);
                    var covered = new HashSet<string>();
                    foreach (var kv in Typed(args))
                    {
                        string f = FieldOf(kv.Key.DeclaringType == typeof(CallStats) ? typeof(CallStats) : cls, kv.Key.Name);
                        covered.Add(f);
                        T.Check(fields.ContainsKey(f), cls.Name + "." + kv.Key.Name + " reads " + f + ", a field the ABI does not deliver");
                        if (!sample.TryGetValue(f, out object sent)) continue;
                        if (kv.Key.Name == nameof(SessionRestoredEventArgs.Succeeded)) T.Check(!(bool)kv.Value, mt + ".Succeeded with an error");
                        else T.Check(Matches(kv.Value, sent), mt + "." + kv.Key.Name + ": " + kv.Value + ", sent " + Json.Serialize(sent));
                    }
                    var untyped = fields.Keys.Where(f => f != "raw" && !covered.Contains(f)).ToList();
                    T.Check(untyped.Count == 0, cls.Name + " has no property for " + string.Join(", ", untyped));
                    if (sample.ContainsKey("raw")) T.Check(JsonEqual(args.Raw.ToDictionary(kv => kv.Key, kv => kv.Value), sample["raw"]), mt + ".Raw");
                }
            }
            // Every typed event of the client is in the contract.
            foreach (EventInfo ev in typeof(CloudCCClient).GetEvents())
            {
                Type a = ev.EventHandlerType.IsGenericType ? ev.EventHandlerType.GetGenericArguments()[0] : null;
                if (a == null || !typeof(CloudCCEventArgs).IsAssignableFrom(a) || a == typeof(CloudCCEventArgs) || a == typeof(UnknownEventArgs)) continue;
                T.Check(typed.Contains(a), "CloudCCClient." + ev.Name + " (" + a.Name + ") is no event of the contract");
            }
            return Task.CompletedTask;
        }
    }
}
