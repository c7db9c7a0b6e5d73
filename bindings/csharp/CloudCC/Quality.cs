using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace CloudCC
{
    /// <summary>RTC mode: a call-quality warning raised or cleared (call_quality_warning), sampled once a second; cleared no sooner than 5 s after it was raised.</summary>
    public sealed class CallQualityWarningEventArgs : CloudCCEventArgs
    {
        internal CallQualityWarningEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Uuid = JsonFields.Str(f, "uuid") ?? "";
            Name = JsonFields.Str(f, "name") ?? "";
            Raised = JsonFields.Bool(f, "raised") ?? false;
            Value = JsonFields.Double(f, "value") ?? 0;
            Threshold = JsonFields.Double(f, "threshold") ?? 0;
        }

        /// <summary>The CTI call uuid.</summary>
        public string Uuid { get; }

        /// <summary>The warning: high_rtt, high_jitter, high_packet_loss, low_mos, no_audio_received, no_audio_sent, constant_audio_input_level, speaking_while_muted.</summary>
        public string Name { get; }

        /// <summary>True when raised, false when cleared.</summary>
        public bool Raised { get; }

        /// <summary>The figure that decided, in the rule's unit (ms for RTT and jitter, a share for loss, the MOS...).</summary>
        public double Value { get; }

        /// <summary>Its limit, in the same unit.</summary>
        public double Threshold { get; }
    }

    public sealed partial class CloudCCClient
    {
        /// <summary>RTC mode: runs the pre-call test (cc_client_media "precall_test") and returns its result: grade, mos, rtt_ms, jitter_ms, loss, input_level_dbfs, steps, failed_step. Blocks until done (at most about 40 s plus <paramref name="seconds"/>).</summary>
        /// <param name="echoNumber">The echo extension to call; null: <see cref="ClientOptions.RtcEchoNumber"/>.</param>
        /// <param name="seconds">How long the echo call is measured (default 5, at most 30).</param>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="BusyException">A test or a call is in progress.</exception>
        public IReadOnlyDictionary<string, object> PrecallTest(string echoNumber = null, double? seconds = null)
        {
            var p = new Dictionary<string, object>();
            if (echoNumber != null) p["echo_number"] = echoNumber;
            if (seconds != null) p["seconds"] = seconds.Value;
            return new ReadOnlyDictionary<string, object>(Media("precall_test", p));
        }
    }
}
