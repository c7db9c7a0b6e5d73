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
    internal static class Program
    {
        private static int Main(string[] args)
        {
            Sim.Addr = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("CCSIM_ADDR");
            if (string.IsNullOrEmpty(Sim.Addr)) { Console.Error.WriteLine("usage: CloudCC.Tests.exe HOST:PORT (ccsim) [FILTER]; CCSIM_DIALECT=spec|platform"); return 2; }
            Sim.Dialect = Environment.GetEnvironmentVariable("CCSIM_DIALECT") ?? "spec";
            Sim.PushOrder = Environment.GetEnvironmentVariable("CCSIM_PUSH_ORDER") ?? "reply_first";
            string only = args.Length > 1 ? args[1] : null;
            // Each test runs against the dialect it was added for: add (spec), addPlatform (platform).
            var tests = new List<KeyValuePair<string, Func<Task>>>();
            var platformTests = new List<KeyValuePair<string, Func<Task>>>();
            Action<string, Func<Task>> add = (n, f) => tests.Add(new KeyValuePair<string, Func<Task>>(n, f));
            Action<string, Func<Task>> addPlatform = (n, f) => platformTests.Add(new KeyValuePair<string, Func<Task>>(n, f));
            add("Json", JsonTests.Run);
            add("AbiContractStatuses", AbiContract.Statuses);
            add("AbiContractConfig", AbiContract.Config);
            add("AbiContractEnums", AbiContract.Enums);
            add("AbiContractRequests", AbiContract.Requests);
            add("AbiContractMedia", AbiContract.Media);
            add("AbiContractEvents", AbiContract.Events);
            add("VersionAndStatus", Basic.VersionAndStatus);
            add("ConfigErrors", Basic.ConfigErrors);
            add("NotConnected", Basic.NotConnected);
            add("BadRequests", Basic.BadRequests);
            add("CheckinRefusedThenCheckinCheckout", Flows.CheckinRefusedThenCheckinCheckout);
            add("StatusActionsEventsInOrder", Flows.StatusActionsEventsInOrder);
            add("Http", Flows.Http);
            add("OutboundCallSequence", Flows.OutboundCallSequence);
            add("InboundAnswerHoldDtmfHangup", Flows.InboundAnswerHoldDtmfHangup);
            add("BlindTransferToAgent", Flows.BlindTransferToAgent);
            add("ConsultThenConsultToTrans", Flows.ConsultThenConsultToTrans);
            add("ThreeWay", Flows.ThreeWay);
            add("SupervisorEavesdropWhisperForceInterrupt", Flows.SupervisorEavesdropWhisperForceInterrupt);
            add("SupervisorSubstituteAndForcedStatus", Flows.SupervisorSubstituteAndForcedStatus);
            add("ServiceModeAndPreviewOutCall", Flows.ServiceModeAndPreviewOutCall);
            add("RtcCallMediaBothWays", Rtc.CallMediaBothWays);
            add("RtcUnsupportedInSoftphoneMode", Rtc.UnsupportedInSoftphoneMode);
            add("RtcSyncContextAndDisposeFromPcmSink", Rtc.SyncContextAndDisposeFromPcmSink);
            add("TimeoutAndUnsupported", Faults.TimeoutAndUnsupported);
            add("Cancellation", Faults.Cancellation);
            add("ReconnectAndUnknownEvent", Faults.ReconnectAndUnknownEvent);
            add("LogEvents", Faults.LogEvents);
            add("ReliabilityHttpAndTlsErrors", Reliability.HttpAndTlsErrors);
            add("ReliabilityAsyncMaxIsBusy", Reliability.AsyncMaxIsBusy);
            add("HandlerThrows", Handlers.HandlerThrows);
            add("HandlerCallsIntoClient", Handlers.HandlerCallsIntoClient);
            add("DisposeFromHandler", Handlers.DisposeFromHandler);
            add("DisposeWithPendingRequests", Handlers.DisposeWithPendingRequests);
            add("SynchronizationContext", Handlers.SyncContext);
            add("GcPressureWhileEventsFlow", Lifetime.GcPressure);
            add("FinalizerPath", Lifetime.FinalizerPath);
            add("Threads8x1000", Lifetime.Threads8x1000);
            add("AudioParsing", AudioTests.Parsing);
            add("AudioEvents", AudioTests.Events);
            add("AudioConfig", AudioTests.Config);
            add("AudioCallsSendTheAbiNames", AudioTests.CallsSendTheAbiNames);
            add("AudioBadArgumentsAndErrors", AudioTests.BadArgumentsAndErrors);
            add("AudioCancellation", AudioTests.Cancellation);
            add("AudioEventsOnTheSynchronizationContext", AudioTests.EventsOnTheSynchronizationContext);
            add("AudioPulseHarness", AudioTests.PulseHarness);
            add("AudioDevicesListedAndChosen", AudioTests.DevicesListedAndChosen);
            add("AudioDeviceModeCallAndFallback", AudioTests.DeviceModeCallAndFallback);
            add("AudioPrecallTestBeforeCalls", AudioTests.PrecallTestBeforeCalls);
            PlatformShapes.Register(add, addPlatform);
            if (Sim.Dialect == "platform") tests = platformTests;
            else if (Sim.Dialect != "spec") { Console.Error.WriteLine("unknown CCSIM_DIALECT " + Sim.Dialect); return 2; }
            foreach (var t in tests)
            {
                if (only != null && t.Key.IndexOf(only, StringComparison.OrdinalIgnoreCase) < 0) continue;
                Sim.Reset();
                T.Run(t.Key, t.Value);
            }
            Console.WriteLine(T.Passed + " passed, " + T.Failed + " failed");
            return HardExit.Now(T.Failed == 0 ? 0 : 1);
        }
    }

    /// <summary>Mono waits at exit for the threads the Go runtime lent to callbacks, which never end (see README, "Known issues"); leave with _exit once output is flushed.</summary>
    internal static class HardExit
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
        private static extern void _exit(int code);

        public static int Now(int code)
        {
            System.Console.Out.Flush();
            System.Console.Error.Flush();
            if (System.Environment.OSVersion.Platform == System.PlatformID.Unix && System.Type.GetType("Mono.Runtime") != null) _exit(code);
            return code;
        }
    }
}
