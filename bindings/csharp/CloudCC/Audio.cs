using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Threading;
using System.Threading.Tasks;

namespace CloudCC
{
    /// <summary>Where a call's audio goes in RTC mode (<see cref="ClientOptions.RtcAudio"/>, rtc_audio).</summary>
    public enum RtcAudioMode
    {
        /// <summary>host: the app's (<see cref="CloudCCClient.PushPcm(short[], int, string)"/> and <see cref="CloudCCClient.SetPcmSink"/>), the library's default.</summary>
        Host = 1,
        /// <summary>device: the SDK opens the sound devices (<see cref="CloudCCClient.Audio"/>).</summary>
        Device,
        /// <summary>none: nowhere (the call sends its default source and its received audio is dropped).</summary>
        None,
    }

    /// <summary>What a sound device is used for.</summary>
    public enum AudioRole
    {
        /// <summary>A role this binding does not know (see the event's RoleName).</summary>
        Unknown = 0,
        /// <summary>microphone: an input.</summary>
        Microphone,
        /// <summary>speaker: an output, the call's audio.</summary>
        Speaker,
        /// <summary>ringer: an output, the ringtone.</summary>
        Ringer,
    }

    /// <summary>Whether a sound device captures or plays.</summary>
    public enum AudioDeviceKind
    {
        /// <summary>A kind this binding does not know (see <see cref="AudioDevice.KindName"/>).</summary>
        Unknown = 0,
        /// <summary>input: captures (a microphone).</summary>
        Input,
        /// <summary>output: plays (a speaker or headset).</summary>
        Output,
    }

    /// <summary>A call-quality warning (<see cref="CallQualityWarningEventArgs"/>); the rules are Twilio Voice's (docs/audio.md).</summary>
    public enum QualityWarning
    {
        /// <summary>A warning this binding does not know (see <see cref="CallQualityWarningEventArgs.Name"/>).</summary>
        Unknown = 0,
        /// <summary>high_rtt: round trip over 400 ms in 3 of the last 5 samples.</summary>
        HighRtt,
        /// <summary>high_jitter: jitter over 30 ms in 3 of 5.</summary>
        HighJitter,
        /// <summary>high_packet_loss: loss over 1 % in 3 of 5, or a mean over 3 % across 7.</summary>
        HighPacketLoss,
        /// <summary>low_mos: MOS under 3.5 in 3 of 5.</summary>
        LowMos,
        /// <summary>no_audio_received: no bytes received in 3 of 3.</summary>
        NoAudioReceived,
        /// <summary>no_audio_sent: no bytes sent in 3 of 3.</summary>
        NoAudioSent,
        /// <summary>constant_audio_input_level: a near-constant microphone level for 10 s while not muted (a stuck microphone).</summary>
        ConstantAudioInputLevel,
        /// <summary>speaking_while_muted: voice on the microphone while the call is muted.</summary>
        SpeakingWhileMuted,
    }

    /// <summary>The pre-call test's grade, by MOS.</summary>
    public enum PrecallGrade
    {
        /// <summary>None given, or a grade this binding does not know (see <see cref="PrecallResult.GradeName"/>).</summary>
        Unknown = 0,
        /// <summary>excellent: MOS over 4.2.</summary>
        Excellent,
        /// <summary>great: 4.1 to 4.2.</summary>
        Great,
        /// <summary>good: 3.7 to 4.1.</summary>
        Good,
        /// <summary>fair: 3.1 to 3.7.</summary>
        Fair,
        /// <summary>degraded: under 3.1.</summary>
        Degraded,
    }

    /// <summary>The values of <see cref="ClientOptions.AudioRingtone"/> and <see cref="AudioControl.SetRingtoneAsync"/>.</summary>
    public static class Ringtones
    {
        /// <summary>The SDK's built-in ring (the default).</summary>
        public const string Builtin = "builtin";

        /// <summary>No ringtone.</summary>
        public const string Off = "off";

        /// <summary>A WAV file (16-bit PCM, any rate), looped while the call rings.</summary>
        public static string Wav(string path)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("a WAV path is required", nameof(path));
            return "wav:" + path;
        }

        /// <summary>Throws unless <paramref name="ringtone"/> is builtin, off or wav:PATH.</summary>
        internal static void Check(string ringtone, string paramName)
        {
            if (ringtone == Builtin || ringtone == Off || (ringtone != null && ringtone.StartsWith("wav:", StringComparison.Ordinal) && ringtone.Length > 4)) return;
            throw new ArgumentException("a ringtone is \"builtin\", \"off\" or \"wav:PATH\", not " + (ringtone == null ? "null" : "\"" + ringtone + "\""), paramName);
        }
    }

    /// <summary>A sound device, as <see cref="AudioControl.GetDevicesAsync"/> lists it. Immutable.</summary>
    public sealed class AudioDevice
    {
        internal AudioDevice(IDictionary<string, object> f)
        {
            Id = JsonFields.Str(f, "id") ?? "";
            Name = JsonFields.Str(f, "name") ?? "";
            KindName = JsonFields.Str(f, "kind");
            Kind = Wire.Parse<AudioDeviceKind>(KindName);
            IsDefault = JsonFields.Bool(f, "default");
            IsDefaultCommunications = JsonFields.Bool(f, "default_communications");
            Channels = (int?)JsonFields.Long(f, "channels");
            Rate = (int?)JsonFields.Long(f, "rate");
        }

        /// <summary>The backend's own id, stable across runs (a PulseAudio sink or source name, a WASAPI endpoint id).</summary>
        public string Id { get; }

        /// <summary>What the system shows ("Jabra Evolve 40").</summary>
        public string Name { get; }

        /// <summary>Input (captures) or output (plays).</summary>
        public AudioDeviceKind Kind { get; }

        /// <summary>The kind as sent, or null.</summary>
        public string KindName { get; }

        /// <summary>The system's default device of its kind (on Windows the console role); null when not said.</summary>
        public bool? IsDefault { get; }

        /// <summary>The default communications device (Windows: the role a headset usually takes; elsewhere the default); null when not said.</summary>
        public bool? IsDefaultCommunications { get; }

        /// <summary>The device's native channel count (0 when the backend will not say); null when not said.</summary>
        public int? Channels { get; }

        /// <summary>The device's native sample rate, Hz (0 when the backend will not say); null when not said.</summary>
        public int? Rate { get; }

        /// <summary>Returns "Name (Id)".</summary>
        public override string ToString() => Name + " (" + Id + ")";
    }

    /// <summary>The sound devices and the backend (<see cref="AudioControl.GetDevicesAsync"/>). Immutable.</summary>
    public sealed class AudioDeviceList
    {
        internal AudioDeviceList(IDictionary<string, object> f, string rawJson)
        {
            Fields = new ReadOnlyDictionary<string, object>(f);
            RawJson = rawJson;
            Backend = JsonFields.Str(f, "backend");
            var all = new List<AudioDevice>();
            if (f.TryGetValue("devices", out object v) && v is List<object> list)
                foreach (object item in list)
                    if (item is Dictionary<string, object> d) all.Add(new AudioDevice(d));
            Devices = all.AsReadOnly();
            Inputs = all.FindAll(d => d.Kind == AudioDeviceKind.Input).AsReadOnly();
            Outputs = all.FindAll(d => d.Kind == AudioDeviceKind.Output).AsReadOnly();
        }

        /// <summary>The sound backend in use: "pulseaudio", "alsa", "wasapi", ...</summary>
        public string Backend { get; }

        /// <summary>Every device, in the backend's order.</summary>
        public IReadOnlyList<AudioDevice> Devices { get; }

        /// <summary>The capture devices (microphones).</summary>
        public IReadOnlyList<AudioDevice> Inputs { get; }

        /// <summary>The playback devices (speakers, headsets).</summary>
        public IReadOnlyList<AudioDevice> Outputs { get; }

        /// <summary>The device of that id, or null.</summary>
        public AudioDevice Find(string id)
        {
            foreach (AudioDevice d in Devices) if (d.Id == id) return d;
            return null;
        }

        /// <summary>The device an empty choice of <paramref name="role"/> means: the default communications device of its kind, else its default; null when there is none.</summary>
        public AudioDevice DefaultFor(AudioRole role)
        {
            IReadOnlyList<AudioDevice> ofKind = role == AudioRole.Microphone ? Inputs : role == AudioRole.Unknown ? Array.Empty<AudioDevice>() : Outputs;
            foreach (AudioDevice d in ofKind) if (d.IsDefaultCommunications == true) return d;
            foreach (AudioDevice d in ofKind) if (d.IsDefault == true) return d;
            return null;
        }

        /// <summary>Every field as parsed JSON.</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>The reply as JSON.</summary>
        public string RawJson { get; }

        /// <summary>Returns the reply JSON.</summary>
        public override string ToString() => RawJson;
    }

    /// <summary>A device named in an answer or an event: its id and name. Immutable.</summary>
    public sealed class AudioDeviceRef
    {
        internal AudioDeviceRef(string id, string name)
        {
            Id = id ?? "";
            Name = name;
        }

        /// <summary>The device's id ("" for the default communications device).</summary>
        public string Id { get; }

        /// <summary>Its name, or null when not given.</summary>
        public string Name { get; }

        /// <summary>A ref from {"id","name"} or a bare id; null when absent.</summary>
        internal static AudioDeviceRef Parse(IDictionary<string, object> f, string key)
        {
            if (f == null || !f.TryGetValue(key, out object v) || v == null) return null;
            if (v is Dictionary<string, object> d) return new AudioDeviceRef(JsonFields.Str(d, "id"), JsonFields.Str(d, "name"));
            return new AudioDeviceRef(JsonFields.Str(f, key), null);
        }

        /// <summary>Returns the id, and the name when known.</summary>
        public override string ToString() => Name == null ? Id : Name + " (" + Id + ")";
    }

    /// <summary>The devices in use (<see cref="AudioControl.SelectAsync"/>'s answer); a role not said is null. Immutable.</summary>
    public sealed class AudioSelection
    {
        internal AudioSelection(IDictionary<string, object> f, string rawJson)
        {
            Fields = new ReadOnlyDictionary<string, object>(f);
            RawJson = rawJson;
            IDictionary<string, object> src = JsonFields.Obj(f, "devices") ?? f;
            Microphone = AudioDeviceRef.Parse(src, "microphone");
            Speaker = AudioDeviceRef.Parse(src, "speaker");
            Ringer = AudioDeviceRef.Parse(src, "ringer");
        }

        /// <summary>The microphone.</summary>
        public AudioDeviceRef Microphone { get; }

        /// <summary>The speaker.</summary>
        public AudioDeviceRef Speaker { get; }

        /// <summary>The ringer (ringtone) device.</summary>
        public AudioDeviceRef Ringer { get; }

        /// <summary>Every field as parsed JSON.</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>The reply as JSON.</summary>
        public string RawJson { get; }

        /// <summary>Returns the reply JSON.</summary>
        public override string ToString() => RawJson;
    }

    /// <summary>The voice-processing switches and, for a call, its processor's state (<see cref="AudioControl.SetProcessingAsync"/>); a field not said is null. Immutable.</summary>
    public sealed class AudioProcessingState
    {
        internal AudioProcessingState(IDictionary<string, object> f, string rawJson)
        {
            Fields = new ReadOnlyDictionary<string, object>(f);
            RawJson = rawJson;
            // The fields at the top, or under "switches" / "state".
            var flat = new Dictionary<string, object>();
            foreach (string k in new[] { "switches", "state" })
            {
                var o = JsonFields.Obj(f, k);
                if (o != null) foreach (var kv in o) flat[kv.Key] = kv.Value;
            }
            foreach (var kv in f) if (!(kv.Value is Dictionary<string, object>)) flat[kv.Key] = kv.Value;
            Aec = JsonFields.Bool(flat, "aec");
            Ns = JsonFields.Bool(flat, "ns");
            Agc = JsonFields.Bool(flat, "agc");
            Vad = JsonFields.Bool(flat, "vad");
            Uuid = JsonFields.Present(flat, "uuid");
            DelayMs = JsonFields.Double(flat, "delay_ms");
            ErleDb = JsonFields.Double(flat, "erle_db");
            LevelDbfs = JsonFields.Double(flat, "level_dbfs");
            Speaking = JsonFields.Bool(flat, "speaking");
            Active = JsonFields.Bool(flat, "active");
            DriftPpm = JsonFields.Double(flat, "drift_ppm");
            MicRateHz = JsonFields.Double(flat, "mic_rate_hz");
            SpeakerRateHz = JsonFields.Double(flat, "speaker_rate_hz");
        }

        /// <summary>Acoustic echo cancellation.</summary>
        public bool? Aec { get; }

        /// <summary>Noise suppression.</summary>
        public bool? Ns { get; }

        /// <summary>Automatic gain control.</summary>
        public bool? Agc { get; }

        /// <summary>Voice activity detection.</summary>
        public bool? Vad { get; }

        /// <summary>The call, for a call's switches; null for the client's default of new calls.</summary>
        public string Uuid { get; }

        /// <summary>The echo path's delay the canceller found, ms (a call).</summary>
        public double? DelayMs { get; }

        /// <summary>Echo return loss enhancement now, dB (a call).</summary>
        public double? ErleDb { get; }

        /// <summary>The microphone's level after processing, dBFS (a call).</summary>
        public double? LevelDbfs { get; }

        /// <summary>Voice activity on the microphone now (a call).</summary>
        public bool? Speaking { get; }

        /// <summary>Whether a processor runs on the call's audio (a call; false: host mode without processing).</summary>
        public bool? Active { get; }

        /// <summary>How far the microphone's and the speaker's clocks drift apart, ppm (a call).</summary>
        public double? DriftPpm { get; }

        /// <summary>The microphone's effective sample rate, Hz (a call in device mode, once measured).</summary>
        public double? MicRateHz { get; }

        /// <summary>The speaker's effective sample rate, Hz (a call in device mode, once measured).</summary>
        public double? SpeakerRateHz { get; }

        /// <summary>Every field as parsed JSON.</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>The reply as JSON.</summary>
        public string RawJson { get; }

        /// <summary>Returns the reply JSON.</summary>
        public override string ToString() => RawJson;
    }

    /// <summary>One step of the pre-call test. Immutable.</summary>
    public sealed class PrecallStep
    {
        internal PrecallStep(IDictionary<string, object> f)
        {
            Name = JsonFields.Str(f, "name") ?? "";
            Ok = JsonFields.Bool(f, "ok") ?? false;
            Skipped = JsonFields.Bool(f, "skipped");
            Ms = JsonFields.Double(f, "ms");
            Error = JsonFields.Str(f, "error");
        }

        /// <summary>"registrar", "ice", "echo_call" or "microphone".</summary>
        public string Name { get; }

        /// <summary>Whether it passed (a skipped step is not a failure).</summary>
        public bool Ok { get; }

        /// <summary>True when it did not run (echo_call without an echo number); null: not said, so no.</summary>
        public bool? Skipped { get; }

        /// <summary>How long it took, ms.</summary>
        public double? Ms { get; }

        /// <summary>Why it failed, or null.</summary>
        public string Error { get; }

        /// <summary>Returns "name: ok" or "name: error".</summary>
        public override string ToString() => Name + ": " + (Skipped == true ? "skipped" : Ok ? "ok" : Error ?? "failed");
    }

    /// <summary>The pre-call test's result (<see cref="CloudCCClient.PrecallTestAsync"/>): the grade, the figures, each step and the one that failed. Immutable.</summary>
    public sealed class PrecallResult
    {
        internal PrecallResult(IDictionary<string, object> f, string rawJson)
        {
            Fields = new ReadOnlyDictionary<string, object>(f);
            RawJson = rawJson;
            GradeName = JsonFields.Present(f, "grade");
            Grade = Wire.Parse<PrecallGrade>(GradeName);
            Mos = JsonFields.Double(f, "mos");
            RttMs = JsonFields.Double(f, "rtt_ms");
            JitterMs = JsonFields.Double(f, "jitter_ms");
            Loss = JsonFields.Double(f, "loss");
            InputLevelDbfs = JsonFields.Double(f, "input_level_dbfs");
            FailedStep = JsonFields.Present(f, "failed_step");
            var steps = new List<PrecallStep>();
            if (f.TryGetValue("steps", out object v) && v is List<object> list)
                foreach (object item in list)
                    if (item is Dictionary<string, object> d) steps.Add(new PrecallStep(d));
            Steps = steps.AsReadOnly();
        }

        /// <summary>The grade (<see cref="PrecallGrade.Unknown"/> when none was given: nothing measured).</summary>
        public PrecallGrade Grade { get; }

        /// <summary>The grade as sent, or null.</summary>
        public string GradeName { get; }

        /// <summary>Mean opinion score of the echo call.</summary>
        public double? Mos { get; }

        /// <summary>Round-trip time of the echo call, ms.</summary>
        public double? RttMs { get; }

        /// <summary>Jitter of the echo call, ms.</summary>
        public double? JitterMs { get; }

        /// <summary>Loss rate of the echo call, 0..1.</summary>
        public double? Loss { get; }

        /// <summary>The microphone's level, dBFS, when measured.</summary>
        public double? InputLevelDbfs { get; }

        /// <summary>Each step, in order.</summary>
        public IReadOnlyList<PrecallStep> Steps { get; }

        /// <summary>The name of the step that failed, or null.</summary>
        public string FailedStep { get; }

        /// <summary>True when no step failed.</summary>
        public bool Succeeded
        {
            get
            {
                if (FailedStep != null) return false;
                foreach (PrecallStep s in Steps) if (!s.Ok && s.Skipped != true) return false;
                return true;
            }
        }

        /// <summary>The step of that name, or null.</summary>
        public PrecallStep Step(string name)
        {
            foreach (PrecallStep s in Steps) if (s.Name == name) return s;
            return null;
        }

        /// <summary>Every field as parsed JSON.</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>The reply as JSON.</summary>
        public string RawJson { get; }

        /// <summary>Returns the reply JSON.</summary>
        public override string ToString() => RawJson;
    }

    /// <summary>The agent's sound devices and voice processing in RTC mode: <see cref="CloudCCClient.Audio"/>.</summary>
    /// <remarks>
    /// Each method is one cc_client_media call (include/cloudcc.h; docs/audio.md), run off the caller's thread: opening the sound server or a
    /// device can take a moment, so a UI thread never waits on it. A device chosen before a call holds for the phone's calls; chosen during
    /// a call it switches the call at once and its RTP goes on. An unknown device id or a WAV that is not 16-bit PCM fails with
    /// <see cref="CloudCCArgumentException"/> and changes nothing; without a sound server the calls that need one fail with
    /// <see cref="UnsupportedException"/>, whose message is the backend's reason. Bad arguments throw before anything is sent.
    /// Cancelling a token completes the task as cancelled; the call itself still runs to its end.
    /// </remarks>
    public sealed class AudioControl
    {
        private readonly CloudCCClient _client;

        internal AudioControl(CloudCCClient client)
        {
            _client = client;
        }

        /// <summary>Lists the sound devices (inputs and outputs) and the backend.</summary>
        /// <exception cref="UnsupportedException">No sound server (the message says why each backend failed).</exception>
        public Task<AudioDeviceList> GetDevicesAsync(CancellationToken cancellationToken = default(CancellationToken)) =>
            _client.MediaAsync("audio_devices", null, (f, json) => new AudioDeviceList(f, json), cancellationToken);

        /// <summary>Chooses the device of <paramref name="role"/> for later calls and the calls in progress; returns the devices in use.</summary>
        /// <param name="role">Microphone (an input), speaker or ringer (outputs).</param>
        /// <param name="deviceId">An <see cref="AudioDevice.Id"/>; null or "" is the default communications device.</param>
        /// <param name="cancellationToken">Completes the task as cancelled (the choice may still be made).</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is not one of the three.</exception>
        /// <exception cref="CloudCCArgumentException">No device of that id (nothing changed), or it failed to open.</exception>
        public Task<AudioSelection> SelectAsync(AudioRole role, string deviceId, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (role != AudioRole.Microphone && role != AudioRole.Speaker && role != AudioRole.Ringer)
                throw new ArgumentOutOfRangeException(nameof(role), role, "a role is Microphone, Speaker or Ringer");
            var p = new Dictionary<string, object> { { "role", Wire.Name(role, lower: true) }, { "id", deviceId ?? "" } };
            return _client.MediaAsync("audio_select", p, (f, json) => new AudioSelection(f, json), cancellationToken);
        }

        /// <summary>Chooses the microphone; see <see cref="SelectAsync"/>.</summary>
        public Task<AudioSelection> SelectMicrophoneAsync(string deviceId, CancellationToken cancellationToken = default(CancellationToken)) =>
            SelectAsync(AudioRole.Microphone, deviceId, cancellationToken);

        /// <summary>Chooses the speaker; see <see cref="SelectAsync"/>.</summary>
        public Task<AudioSelection> SelectSpeakerAsync(string deviceId, CancellationToken cancellationToken = default(CancellationToken)) =>
            SelectAsync(AudioRole.Speaker, deviceId, cancellationToken);

        /// <summary>Chooses the device the ringtone plays on; see <see cref="SelectAsync"/>.</summary>
        public Task<AudioSelection> SelectRingerAsync(string deviceId, CancellationToken cancellationToken = default(CancellationToken)) =>
            SelectAsync(AudioRole.Ringer, deviceId, cancellationToken);

        /// <summary>Sets the given voice-processing switches (null leaves one as it is) and returns the state now.</summary>
        /// <param name="uuid">A call (its switches, and its processor's state in the answer); null for the client's default of new calls.</param>
        /// <param name="aec">Acoustic echo cancellation.</param>
        /// <param name="ns">Noise suppression.</param>
        /// <param name="agc">Automatic gain control.</param>
        /// <param name="vad">Voice activity detection.</param>
        /// <param name="cancellationToken">Completes the task as cancelled (the switches may still be set).</param>
        /// <exception cref="CloudCCArgumentException">No such call.</exception>
        public Task<AudioProcessingState> SetProcessingAsync(string uuid = null, bool? aec = null, bool? ns = null, bool? agc = null, bool? vad = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var p = new Dictionary<string, object>();
            if (!string.IsNullOrEmpty(uuid)) p["uuid"] = uuid;
            if (aec != null) p["aec"] = aec.Value;
            if (ns != null) p["ns"] = ns.Value;
            if (agc != null) p["agc"] = agc.Value;
            if (vad != null) p["vad"] = vad.Value;
            return _client.MediaAsync("audio_processing", p, (f, json) => new AudioProcessingState(f, json), cancellationToken);
        }

        /// <summary>The voice-processing switches and, for a call, its processor's state; as <see cref="SetProcessingAsync"/> with no switch.</summary>
        public Task<AudioProcessingState> GetProcessingAsync(string uuid = null, CancellationToken cancellationToken = default(CancellationToken)) =>
            SetProcessingAsync(uuid, cancellationToken: cancellationToken);

        /// <summary>Sets what a ringing call plays on the ringer: <see cref="Ringtones.Builtin"/>, <see cref="Ringtones.Off"/> or <see cref="Ringtones.Wav"/>.</summary>
        /// <exception cref="ArgumentException">Not one of those forms.</exception>
        /// <exception cref="CloudCCArgumentException">The WAV cannot be read or is not 16-bit PCM (nothing changed).</exception>
        public Task SetRingtoneAsync(string ringtone, CancellationToken cancellationToken = default(CancellationToken))
        {
            Ringtones.Check(ringtone, nameof(ringtone));
            var p = new Dictionary<string, object> { { "ringtone", ringtone } };
            return _client.MediaAsync("audio_ringtone", p, (f, json) => (object)null, cancellationToken);
        }
    }

    public sealed partial class CloudCCClient
    {
        private AudioControl _audio;

        /// <summary>The agent's sound devices and voice processing (RTC mode with <see cref="ClientOptions.RtcAudio"/> = <see cref="RtcAudioMode.Device"/>).</summary>
        public AudioControl Audio => _audio ?? (_audio = new AudioControl(this));

        /// <summary>A sound device came or went, or a default changed (audio_devices_changed).</summary>
        public event EventHandler<AudioDevicesChangedEventArgs> AudioDevicesChanged;

        /// <summary>The device of a role went away: the SDK moved to the default (communications) device and the call goes on (audio_device_fallback).</summary>
        public event EventHandler<AudioDeviceFallbackEventArgs> AudioDeviceFallback;

        /// <summary>A sound device failed (audio_device_error); a call on it goes on.</summary>
        public event EventHandler<AudioDeviceErrorEventArgs> AudioDeviceError;

        /// <summary>A call-quality warning was raised or cleared (call_quality_warning), sampled each second; cleared no sooner than 5 s after raised.</summary>
        public event EventHandler<CallQualityWarningEventArgs> CallQualityWarning;

        /// <summary>Runs the pre-call test before the agent takes calls: the registrar reached, ICE gathered with the configured servers, a test call to <paramref name="echoNumber"/> measuring RTT, jitter, loss and MOS, the microphone's level.</summary>
        /// <remarks>A step that fails is named in <see cref="PrecallResult.FailedStep"/>; the task does not fail for it. It takes about <paramref name="duration"/> plus the set-up (bounded).</remarks>
        /// <param name="echoNumber">The echo extension to call; null uses <see cref="ClientOptions.RtcEchoNumber"/> (none: the step is skipped).</param>
        /// <param name="duration">How long the echo call measures (null: the library's 5 s); whole seconds are sent as such.</param>
        /// <param name="cancellationToken">Completes the task as cancelled; the test still runs to its end.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is not positive.</exception>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="ClientClosedException">The client was disposed while the test ran (it was cut short).</exception>
        public Task<PrecallResult> PrecallTestAsync(string echoNumber = null, TimeSpan? duration = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var p = new Dictionary<string, object>();
            if (echoNumber != null) p["echo_number"] = echoNumber;
            if (duration != null)
            {
                double s = duration.Value.TotalSeconds;
                if (!(s > 0)) throw new ArgumentOutOfRangeException(nameof(duration), duration, "the duration must be positive");
                if (s == Math.Floor(s)) p["seconds"] = (long)s;
                else p["seconds"] = s;
            }
            // A Dispose meanwhile: the library answers CC_ERR_CLOSED (ClientClosedException).
            return MediaAsync("precall_test", p, (f, json) => new PrecallResult(f, json), cancellationToken);
        }

        /// <summary>Runs a media call on the thread pool and parses its reply; the task completes as cancelled when the token fires first.</summary>
        internal Task<TR> MediaAsync<TR>(string name, Dictionary<string, object> p, Func<Dictionary<string, object>, string, TR> parse, CancellationToken ct)
        {
            ThrowIfDisposed();
            var tcs = new TaskCompletionSource<TR>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (ct.IsCancellationRequested)
            {
                tcs.SetCanceled();
                return tcs.Task;
            }
            CancellationTokenRegistration reg = ct.CanBeCanceled ? ct.Register(() => tcs.TrySetCanceled()) : default(CancellationTokenRegistration);
            Task.Run(() =>
            {
                try
                {
                    Dictionary<string, object> reply = Media(name, p, out string text);
                    tcs.TrySetResult(parse(reply, text));
                }
                catch (Exception e)
                {
                    tcs.TrySetException(e);
                }
                finally
                {
                    reg.Dispose();
                }
            });
            return tcs.Task;
        }

        /// <summary>Raises an audio event; false when <paramref name="args"/> is none.</summary>
        private bool RaiseAudio(CloudCCEventArgs args)
        {
            var dc = args as AudioDevicesChangedEventArgs;
            if (dc != null) { Invoke(AudioDevicesChanged, dc); return true; }
            var fb = args as AudioDeviceFallbackEventArgs;
            if (fb != null) { Invoke(AudioDeviceFallback, fb); return true; }
            var de = args as AudioDeviceErrorEventArgs;
            if (de != null) { Invoke(AudioDeviceError, de); return true; }
            var qw = args as CallQualityWarningEventArgs;
            if (qw != null) { Invoke(CallQualityWarning, qw); return true; }
            return false;
        }
    }

    /// <summary>Sound devices came or went, or a default changed (audio_devices_changed); <see cref="AudioControl.GetDevicesAsync"/> lists them now.</summary>
    public sealed class AudioDevicesChangedEventArgs : CloudCCEventArgs
    {
        internal AudioDevicesChangedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Added = JsonFields.StrList(f, "added");
            Removed = JsonFields.StrList(f, "removed");
            DefaultChanged = JsonFields.Bool(f, "default_changed");
        }

        /// <summary>The ids of the devices added.</summary>
        public IReadOnlyList<string> Added { get; }

        /// <summary>The ids of the devices removed.</summary>
        public IReadOnlyList<string> Removed { get; }

        /// <summary>True when a default (or default communications) device changed; null when not said.</summary>
        public bool? DefaultChanged { get; }
    }

    /// <summary>The device of a role went away: the SDK moved to the default (communications) device, and a call on it goes on (audio_device_fallback).</summary>
    public sealed class AudioDeviceFallbackEventArgs : CloudCCEventArgs
    {
        internal AudioDeviceFallbackEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            RoleName = JsonFields.Present(f, "role");
            Role = Wire.Parse<AudioRole>(RoleName);
            Uuid = JsonFields.Present(f, "uuid");
            OldDevice = AudioDeviceRef.Parse(f, "old");
            NewDevice = AudioDeviceRef.Parse(f, "new");
        }

        /// <summary>Microphone, speaker or ringer (<see cref="AudioRole.Unknown"/> for another; see <see cref="RoleName"/>).</summary>
        public AudioRole Role { get; }

        /// <summary>The role as sent, or null.</summary>
        public string RoleName { get; }

        /// <summary>The call that moved, or null.</summary>
        public string Uuid { get; }

        /// <summary>The device that went away (the event's "old").</summary>
        public AudioDeviceRef OldDevice { get; }

        /// <summary>The device now in use (the event's "new").</summary>
        public AudioDeviceRef NewDevice { get; }
    }

    /// <summary>A sound device failed (audio_device_error); a call on it goes on.</summary>
    public sealed class AudioDeviceErrorEventArgs : CloudCCEventArgs
    {
        internal AudioDeviceErrorEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            RoleName = JsonFields.Present(f, "role");
            Role = Wire.Parse<AudioRole>(RoleName);
            DeviceId = JsonFields.Str(f, "id");
            Error = JsonFields.Str(f, "error");
            Uuid = JsonFields.Present(f, "uuid");
        }

        /// <summary>Microphone, speaker or ringer (<see cref="AudioRole.Unknown"/> for another; see <see cref="RoleName"/>).</summary>
        public AudioRole Role { get; }

        /// <summary>The role as sent, or null.</summary>
        public string RoleName { get; }

        /// <summary>The device's id (the event's "id").</summary>
        public string DeviceId { get; }

        /// <summary>What failed, in words.</summary>
        public string Error { get; }

        /// <summary>The call it happened in, or null.</summary>
        public string Uuid { get; }
    }

    /// <summary>A call-quality warning raised or cleared (call_quality_warning).</summary>
    public sealed class CallQualityWarningEventArgs : CloudCCEventArgs
    {
        internal CallQualityWarningEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Uuid = JsonFields.Str(f, "uuid") ?? "";
            Name = JsonFields.Str(f, "name");
            Warning = Wire.Parse<QualityWarning>(Name);
            Raised = JsonFields.Bool(f, "raised");
            Value = JsonFields.Double(f, "value");
            Threshold = JsonFields.Double(f, "threshold");
        }

        /// <summary>The call.</summary>
        public string Uuid { get; }

        /// <summary>Which warning (<see cref="QualityWarning.Unknown"/> for one this binding does not know; see <see cref="Name"/>).</summary>
        public QualityWarning Warning { get; }

        /// <summary>The warning's name as sent ("high_rtt", ...).</summary>
        public string Name { get; }

        /// <summary>True when raised, false when cleared; null when not said.</summary>
        public bool? Raised { get; }

        /// <summary>The measured value (ms, share of packets, MOS, dBFS ... as the warning counts); null when not said.</summary>
        public double? Value { get; }

        /// <summary>The rule's threshold, in the same unit; null when not said.</summary>
        public double? Threshold { get; }
    }
}
