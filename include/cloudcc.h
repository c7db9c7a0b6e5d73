/*
 * cloudcc.h - the CloudCC Agent SDK's C interface.
 *
 * One cc_client_t is one agent: its CTI WebSocket session (check in/out,
 * status, calls, supervisor actions, ...), the SDK HTTP interface sharing the
 * session's token, and the events the platform pushes (callback, callin,
 * agent_change, kick_off, connect) plus the SDK's own (connection_state,
 * session_restored, server_refusal, log).
 *
 * It works with the spec's server and with the platform's server as built
 * (docs/platform.md): a ws_url ending in "/" gets the platform's identity
 * handshake; the session token travels in every frame; the platform's
 * change_status status push is delivered as "agent_change" (its "raw" keeps
 * the frame); a refusal without req_id reaches the request it answers.
 *
 * The interface is JSON in, JSON out: a request is the spec's JSON object
 * (msg_type plus the spec's fields); a reply or event is the spec's JSON with
 * its fields normalized (spec names, spec types, msg_type trimmed) and the
 * frame as received under "raw". New message types never change this ABI.
 *
 * Rules that hold for every function below:
 *  - Thread safety: every function may be called from any thread, at the same
 *    time, including from inside a callback of this library.
 *  - Status: functions return CC_OK (0) or a negative cc_status. For
 *    cc_client_request and cc_client_http, CC_OK means the server answered,
 *    whatever its "code" says (success is "code":"0"); a negative status is a
 *    failure on the SDK side, and the reply JSON is then an object
 *    {"code":"<status>","msg":"<reason in the client's language>"}.
 *  - Strings: every char* the library writes to an out parameter is owned by
 *    the caller and must be released with cc_string_free (never free(): the
 *    library may use another C runtime, as on Windows). Strings passed to a
 *    callback belong to the library and live only during the call.
 *  - Handles: a NULL, freed or foreign cc_client_t* is detected and answered
 *    with CC_ERR_INVALID_HANDLE; it never crashes.
 *  - The library never lets an internal fault reach the caller as a crash:
 *    it returns CC_ERR_INTERNAL instead.
 *  - Secrets (agent_pwd, ext_pwd, token) never appear in log events, error
 *    messages, events or replies: values under a key that names a secret
 *    (any spelling: TOKEN, tok\u0065n, SDK-TOKEN, password, ...) and the
 *    passwords and tokens the client was given or received, wherever they
 *    appear, are replaced by "***". The exceptions are the fields that
 *    hand a secret to the application on purpose: the top-level "ext_pwd"
 *    and "token" of checkin's reply and "token" of get-token's reply (their
 *    "raw" copies are redacted). So that a short password does not eat
 *    ordinary text, a known secret of 8 characters or more is replaced
 *    wherever it appears, one of 6-7 where it stands as a word of its own
 *    (not inside a phone number), one of 4-5 only as a whole string, and a
 *    shorter one is redacted by key only.
 *  - Text: every string the library hands out is valid UTF-8. A frame with
 *    invalid bytes reaches "raw" with each invalid sequence replaced by
 *    U+FFFD; the rest of the frame is as received.
 */
#ifndef CLOUDCC_H
#define CLOUDCC_H

#define CC_VERSION_MAJOR 0
#define CC_VERSION_MINOR 1
#define CC_VERSION_PATCH 0
#define CC_VERSION "0.1.0"
/* CC_VERSION_NUMBER is 10000*major + 100*minor + patch, for #if checks. */
#define CC_VERSION_NUMBER (CC_VERSION_MAJOR * 10000 + CC_VERSION_MINOR * 100 + CC_VERSION_PATCH)

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(CC_STATIC)
#    define CC_EXTERN(type) extern type
#  elif defined(CC_BUILDING_LIBRARY)
#    define CC_EXTERN(type) extern __declspec(dllexport) type
#  else
#    define CC_EXTERN(type) extern __declspec(dllimport) type
#  endif
#  define CC_CALLBACK __cdecl
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CC_EXTERN(type) extern __attribute__((visibility("default"))) type
#  define CC_CALLBACK
#else
#  define CC_EXTERN(type) extern type
#  define CC_CALLBACK
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Server refusals are not statuses: they are replies whose
 * "code" is not "0". */
typedef enum cc_status {
    CC_OK = 0,
    CC_ERR_INVALID_ARGUMENT = -1, /* NULL where a value is needed, bad JSON, unknown msg_type, bad config */
    CC_ERR_INVALID_HANDLE = -2,   /* NULL, freed or foreign cc_client_t* */
    CC_ERR_TIMEOUT = -3,          /* no reply (or no event, for poll) within the timeout, or the server
                                   * handled the request without replying (a later reply proved it) */
    CC_ERR_NOT_CONNECTED = -4,    /* the link (or the HTTP server) could not be reached */
    CC_ERR_CONNECTION_LOST = -5,  /* the link dropped after the request was sent: outcome unknown */
    CC_ERR_CLOSED = -6,           /* the client was freed while the call was pending */
    CC_ERR_HTTP = -7,             /* the HTTP interface answered with a non-2xx status */
    CC_ERR_UNSUPPORTED = -8,      /* not possible in this mode (e.g. mute without RTC media) */
    CC_ERR_TLS = -9,              /* TLS handshake failed: the server's certificate was not verified
                                   * (see tls_ca_file, tls_ca_pem), or it does not speak TLS */
    CC_ERR_NOT_CHECKED_IN = -10,  /* the request needs the session token: check in (or get-token) first */
    CC_ERR_BUSY = -11,            /* async_max async requests are already in flight, or (media
                                   * "precall_test") a test or a call is in progress */
    CC_ERR_INTERNAL = -99         /* a fault inside the library; it was contained */
} cc_status;

/* An agent. Opaque: made by cc_client_new, released by cc_client_free. */
typedef struct cc_client cc_client_t;

/* Receives one event (a JSON object with "msg_type"). event_json belongs to
 * the library and is valid only during the call. Called on a library thread;
 * the events of one client arrive in order, one at a time. The events:
 *   callback, callin        the platform's pushes, the spec's fields normalized
 *                           (callin also client_uuid, os, task_id), plus "raw"
 *   agent_change            the agent's status: the spec's agent_change push and
 *                           the platform's change_status push alike (agent_status,
 *                           sub_agent_status, last_agent_status, reason, uuid,
 *                           in_call_numbers, os), plus "raw" as sent
 *   kick_off                another device checked in as this agent (code, msg,
 *                           os, agent_ip)
 *   connect                 the platform's greeting once the link is open (code, msg)
 *   connection_state        the link: state connecting / connected / reconnecting
 *                           (attempt, delay_ms) / disconnected (reason)
 *   session_restored        after a reconnect: {"status","sub_status","uuid",
 *                           "in_call_numbers","resynced"} (the agent's state, read
 *                           back with get_status when resynced is true), or the
 *                           session is lost: {"error","code","msg"} (check in again)
 *   server_refusal          a refusal naming no request that no request in flight
 *                           could take (code, msg, raw)
 *   log                     a log line at or above log_level (never a secret)
 *   rtc_*, connectivity     RTC mode, below
 *   call_quality_warning    a call's quality warning raised or cleared, below
 *   audio_*                 sound devices (device mode), below
 * Other server frames arrive with their own msg_type and "raw". */
typedef void (CC_CALLBACK *cc_event_fn)(void *user_data, const char *event_json);

/* Receives the outcome of cc_client_request_async, exactly once: status as
 * for cc_client_request, reply_json valid only during the call. */
typedef void (CC_CALLBACK *cc_reply_fn)(void *user_data, int status, const char *reply_json);

/* Returns the library's version, e.g. "0.1.0". Static storage: do not free. */
CC_EXTERN(const char *) cc_version(void);

/* Returns a short English name of a status ("CC_ERR_TIMEOUT"). Static
 * storage: do not free. Unknown values give "CC_ERR_UNKNOWN". */
CC_EXTERN(const char *) cc_status_str(int status);

/* Makes a client from a JSON config; it does not touch the network (the first
 * request connects). Config keys (all optional but ws_url):
 *   ws_url                CTI WebSocket, "ws://host:port/ws" or "wss://..."
 *   http_url              SDK HTTP interface, "http://host:port" for the spec's
 *                         service (/cloudcc-sdk-interface/openapi/...), or with the
 *                         service root path, e.g. "http://host:5001/cloudcc-client-server"
 *                         (/openapi/... is appended to it)
 *   company_code, agent_id, os (default the host's): fill the requests that
 *                         leave them empty
 *   ext_id                the agent's bound extension: check-in needs it (the
 *                         SDK never invents one); later requests use the one
 *                         check-in answered
 *   language              "zh-CN" (default) or "en-US": LANGUAGE header and
 *                         the language of the SDK's error messages
 *   token                 a token from get-token, when known before check-in
 *   request_timeout_ms    default timeout of a request (5000)
 *   dial_timeout_ms       WebSocket handshake timeout (10000)
 *   http_timeout_ms       default timeout of an HTTP call (10000)
 *   heartbeat_interval_ms ping period (20000); -1 turns the heartbeat off
 *   heartbeat_misses      unanswered pings before the link is dead (3)
 *   reconnect             true (default): reconnect with backoff and restore a
 *                         checked-in session; false: stay down until the next request
 *   reconnect_min_ms, reconnect_max_ms   backoff bounds (500, 30000): the delay
 *                         doubles (+-20% jitter) at each attempt up to the max
 *   reconnect_stable_ms   a link must stay up this long for the backoff to
 *                         start over from reconnect_min_ms (10000): a server
 *                         that accepts and drops every link is not hammered
 *   tls_ca_file, tls_ca_pem  extra trusted CA; tls_insecure true skips
 *                         certificate checks (tests only); they apply to
 *                         wss:// ws_url, https:// http_url (whatever ws_url
 *                         is) and a wss:// rtc_address
 *   rtc                   true (default): when check-in answers login_type "1"
 *                         with an rtc_address, register the extension there
 *                         (SIP over WebSocket) and carry the calls' media;
 *                         false: never (the app's own phone does)
 *   rtc_domain            SIP domain of sip:{ext_id}@{domain} (default: the
 *                         host of rtc_address)
 *   rtc_scheme            "ws" or "wss": the scheme of an rtc_address that has
 *                         none (the platform sends "host:port"); default wss
 *                         when ws_url is wss, else ws. A ws(s):// URL is
 *                         dialled as given
 *   rtc_url_template      the SIP WebSocket URL made of rtc_address's parts
 *                         instead, e.g. "wss://{host}:7443/" ({host}, {port},
 *                         {path}, {scheme}); rtc_registration events name the
 *                         rtc_address and the "url" dialled
 *   ice_servers           STUN/TURN servers: [{"urls":["stun:host:3478"],
 *                         "username":"","credential":""}]; each needs a urls
 *                         entry (stun:, stuns:, turn:, turns:), a TURN one a
 *                         username and credential: checked here, not per call
 *   rtc_stats_interval_ms "rtc_stats" event per call this often (0: none, default)
 *   rtc_keepalive_ms      SIP link WebSocket ping period (25000); -1 turns it off
 *   rtc_default_source    what a new call sends: "silence" (default),
 *                         "tone:440", or "wav:/path/file.wav" (looped)
 *   rtc_include_loopback  gather loopback ICE candidates (a PBX on this host;
 *                         implied when rtc_address is a loopback address)
 *   rtc_auto_answer       which INVITEs the SDK answers itself: "requests"
 *                         (default: the agent's own leg of call,
 *                         preview_out_call, play_record, eavesdrop, whisper,
 *                         substitute, force_call; and auto-answer hints),
 *                         "hints", or "off" (every call rings)
 *   rtc_auto_answer_window_ms  how long after such a request (and around a
 *                         callin) an INVITE is taken for it (15000)
 *   rtc_max_calls         SIP calls at once (4; -1 no limit); beyond: 486
 *   rtc_ring_timeout_ms   an unanswered ringing call ends (480) after (60000; -1 never)
 *   rtc_max_message_bytes largest SIP message taken (65536); larger: 513
 *   rtc_media_timeout_ms  time ICE/DTLS get to connect (15000; -1 never), then
 *   rtc_media_failure     "hangup" (default: BYE) or "flag" (call kept,
 *                         rtc_call "media":"failed" with the reason)
 *   rtc_audio             where a call's audio goes: "host" (default: the app's,
 *                         through cc_client_push_pcm and cc_client_set_pcm_sink),
 *                         "device" (the SDK opens the sound devices; see "Sound
 *                         devices" below) or "none" (silence both ways)
 *   audio_microphone, audio_speaker, audio_ringer   device ids of device mode
 *                         (from "audio_devices"); "" or absent: the default
 *                         communications device (the ringer: the default device)
 *   audio_ringtone        what a call ringing for the agent plays in device mode:
 *                         "builtin" (default), "off", or "wav:/path/ring.wav"
 *                         (16-bit PCM; another WAV is refused)
 *   audio_aec, audio_ns, audio_agc, audio_vad   voice processing of new calls:
 *                         echo cancellation, noise suppression, gain control,
 *                         voice activity detection. Each defaults to true in
 *                         device mode and false otherwise; true in host mode
 *                         runs the pushed audio through the processor, with the
 *                         audio handed to the PCM sink as the echo reference
 *   rtc_quality_warnings  true (default): each answered call is sampled once a
 *                         second and "call_quality_warning" events say when a
 *                         warning is raised or cleared; false: no sampler
 *   rtc_echo_number       the echo extension the pre-call test calls (media
 *                         "precall_test"), e.g. "9196"; empty: that step is
 *                         skipped unless the test names one
 *   log_level             lowest level sent as "log" events: trace, debug,
 *                         info, warn (default), error, off
 *   event_queue_max, event_queue_max_bytes   bound the events waiting for
 *                         the host (100000 events, 16777216 bytes), in each of
 *                         the two queues: the one feeding a slow event
 *                         callback and the one cc_client_poll_event reads.
 *                         When full, the OLDEST events are dropped and an
 *                         event {"msg_type":"events_dropped","dropped":N,
 *                         "dropped_total":T,"queue":"callback"|"poll"} comes
 *                         before the next event; it takes no room itself
 *   async_max             async requests in flight at once (1000); one more
 *                         is refused with CC_ERR_BUSY
 * Unknown keys are an error. On success *out is the new client and *err_json
 * is left NULL; on failure *out is NULL and, if err_json is not NULL,
 * *err_json is {"code","msg"} to be freed with cc_string_free. */
CC_EXTERN(int) cc_client_new(const char *config_json, cc_client_t **out, char **err_json);

/* Closes the client: the link closes (the agent is NOT checked out: send
 * checkout first), pending requests complete with CC_ERR_CLOSED (their async
 * callbacks run, with that status, before it returns), and once it returns no
 * callback of this client runs any more: user_data given to this client may
 * be freed. It returns within a small bound whatever the network does (a
 * stalled handshake is abandoned, a close frame waits at most 0.25 s; up to
 * 3 s in RTC mode while the phone says goodbye to an unresponsive PBX),
 * plus the time the host's own callbacks in progress take. Called from inside one of this client's callbacks, it lets
 * that callback finish. NULL is a no-op; a freed or foreign handle is
 * ignored. */
CC_EXTERN(void) cc_client_free(cc_client_t *c);

/* Sets the function that receives this client's events (fn NULL: events are
 * kept for cc_client_poll_event instead, the default). Events are delivered in
 * order on one library thread; a slow callback delays later events of this
 * client but never the network (see event_queue_max). user_data is passed
 * back untouched. When this returns, no call of the previous (fn, user_data)
 * pair is running or will start, so the previous user_data may be freed: it
 * waits for a call in progress to return (do not call it while holding a
 * lock that callback takes). Called from inside this client's event
 * callback, it does not wait for that call, its caller. */
CC_EXTERN(int) cc_client_set_event_callback(cc_client_t *c, cc_event_fn fn, void *user_data);

/* Waits up to timeout_ms (0: do not wait, -1: forever) for the next event
 * when no event callback is set. CC_OK: *event_json is the event, to be freed
 * with cc_string_free. CC_ERR_TIMEOUT: none arrived, *event_json is NULL.
 * CC_ERR_CLOSED: the client was freed while waiting. */
CC_EXTERN(int) cc_client_poll_event(cc_client_t *c, int timeout_ms, char **event_json);

/* Sends a request (a JSON object with "msg_type": one of the spec's 24
 * requests, or "get_status") and waits for its reply up to timeout_ms (<= 0:
 * the configured request_timeout_ms). req_id, company_code, agent_id, ext_id,
 * os and the session token are filled when missing, and so are the fields
 * the platform requires: call's out_line 1 (an outside line; 0 calls an
 * agent by id), audio 3 and video 0 for call, play_record and
 * preview_out_call, and for answer the ringing call's own audio/video (from
 * its callin). The request's own values win. Every request but checkin needs
 * the session token (from check-in or get-token): without one it is not
 * sent (CC_ERR_NOT_CHECKED_IN). Brings the link up if it is down. mute is
 * answered by the SDK itself (it needs RTC mode). When it returns, the events
 * that arrived before the reply have been delivered; a request's own pushes
 * (check-in's status...) may also come after the reply, and are delivered
 * then (the platform's order is a race). *reply_json (always set, unless
 * reply_json is NULL) is to be freed with cc_string_free. Thread: any; from
 * inside an event callback too. */
CC_EXTERN(int) cc_client_request(cc_client_t *c, const char *request_json, int timeout_ms, char **reply_json);

/* Like cc_client_request, without blocking: fn is called exactly once, on a
 * library thread, with the outcome; cc_client_free waits for it (it then
 * reports CC_ERR_CLOSED). A client's reply callbacks run one at a time, in
 * the order the outcomes came (a slow one delays the next of that client,
 * never its events). A negative return means the request was refused at
 * once (bad handle or JSON, CC_ERR_CLOSED while the client is being freed,
 * CC_ERR_BUSY past async_max) and fn will not be called. */
CC_EXTERN(int) cc_client_request_async(cc_client_t *c, const char *request_json, int timeout_ms,
                                       cc_reply_fn fn, void *user_data);

/* Calls the SDK HTTP interface, named by the last segment of its URL in the
 * spec: "get-token" (params: agent_pwd, and optionally company_code, agent_id,
 * os; on success the token is used by the client), "get-skill-service-list"
 * and "get-ivr-service-list" (params: service_name, optionally company_code).
 * params_json may be NULL for no parameters. Status and *reply_json as for
 * cc_client_request: a refusal, including the platform's HTTP 200
 * {"code":403,"message":...}, is CC_OK with that "code" (as a string) and
 * its message in "msg"; a non-2xx HTTP answer is CC_ERR_HTTP with
 * "http_status" in the reply JSON (its "msg" never copies the server's
 * page); an unreachable server CC_ERR_NOT_CONNECTED; a certificate that
 * cannot be verified CC_ERR_TLS. */
CC_EXTERN(int) cc_client_http(cc_client_t *c, const char *name, const char *params_json,
                              int timeout_ms, char **reply_json);

/* ---- RTC mode ------------------------------------------------------------
 * When check-in answers login_type "1" (and config "rtc" is not false), the
 * client is also the agent's phone: it registers at the reply's rtc_address
 * (SIP over WebSocket) and carries the calls' audio and video itself. Its
 * events: "rtc_registration", "rtc_call", "connectivity", "rtc_dtmf",
 * "rtc_stats", "call_quality_warning". answer, mute and dtmf act on the
 * phone's call (mute and dtmf are answered by the SDK itself); the
 * functions below feed and tap a call's audio. "uuid" is the CTI call uuid; empty or NULL means the
 * agent's current call. Outside RTC mode they return CC_ERR_UNSUPPORTED
 * (but the audio_* media calls, which work before check-in too); an
 * unknown call is CC_ERR_INVALID_ARGUMENT.
 *
 * Sound devices. With config rtc_audio "device" the SDK is a desktop phone:
 * when a call's media is up it opens the microphone and the speaker
 * (audio_microphone, audio_speaker, "audio_select"), sends the microphone
 * cleaned by its voice processing (echo canceller with the played-out audio
 * as reference, noise suppression, gain control, voice activity detection:
 * audio_aec..., "audio_processing"), plays what it receives, and closes them
 * when the call ends. A call ringing for the agent (not one the SDK answers
 * by itself) plays the ringtone on the ringer device until it is answered or
 * ends (audio_ringtone, "audio_ringtone"). A device that fails never ends the
 * call: it goes on, and an event says what happened:
 *   audio_devices_changed   {"added":[ids],"removed":[ids],"default_changed"}
 *   audio_device_fallback   {"role","uuid","old":{"id","name"},"new":{"id","name"}}:
 *                           the device a role used went away (or the one chosen
 *                           is not there) and the role runs on the default
 *                           (communications) device now; "uuid": the call (absent
 *                           for the ringer)
 *   audio_device_error      {"role","id","error","uuid"}: a device would not
 *                           open or stopped (or no sound server is there); that
 *                           role is silent until a device can be opened again
 * "role" is "microphone", "speaker" or "ringer". Without a sound server the
 * library loads and host mode runs as ever; "audio_devices" and
 * "audio_select" return CC_ERR_UNSUPPORTED with the backend's reason, and a
 * device-mode call goes on in silence (one audio_device_error per role);
 * when a sound server starts during the call (it is found within about 5 s),
 * its devices open (audio_device_fallback per role) and its audio flows. */

/* Receives a call's received audio (what the agent would hear): count mono
 * 16-bit samples at rate Hz, about 20 ms per call. Called on a media thread
 * of the library; samples and uuid live only during the call. It must
 * return quickly (copy the samples), and must not call cc_client_free. */
typedef void (CC_CALLBACK *cc_pcm_fn)(void *user_data, const char *uuid, const int16_t *samples, size_t count,
                                      int rate);

/* Controls a call's media; name and params_json (NULL for none):
 *   "play_wav"    {"uuid","path","loop":false}  send a WAV file (PCM16, A-law or
 *                 mu-law; 1000 to 384000 Hz, any channels; at most about 2.3
 *                 hours once at 8 kHz, 256 MB of data; another: CC_ERR_INVALID_ARGUMENT)
 *   "play_tone"   {"uuid","hz"}                   send a sine tone
 *   "stop_play"   {"uuid"}                        send silence (device mode: the microphone)
 *   "record_wav"  {"uuid","path"}                 record received audio to a WAV (8 kHz mono)
 *   "stop_record" {"uuid"}                        finish the WAV (also done when the call ends)
 *   "stats"       {"uuid"}                        reply "stats": rtt, jitter, loss, bitrate, mos
 *   "calls"       {}                              reply "calls": the phone's call uuids
 *   "audio_devices"    {}  reply "backend" ("pulseaudio", "alsa", "wasapi", ...)
 *                 and "devices": [{"id","name","kind":"input"|"output","default",
 *                 "default_communications","channels","rate"}] ("default": the
 *                 system's default; "default_communications": the default
 *                 communications device, on Windows the role a headset takes;
 *                 "id" is stable across runs). No sound server: CC_ERR_UNSUPPORTED
 *   "audio_select"     {"role":"microphone"|"speaker"|"ringer","id"}  chooses the
 *                 device of a role ("" the default) for later calls and moves the
 *                 calls in progress (and a ringing ringtone) to it at once; their
 *                 RTP goes on. Reply: the devices in use, "microphone", "speaker",
 *                 "ringer", each {"id","name"}. An unknown id, or a device that
 *                 fails to open for a call in progress: CC_ERR_INVALID_ARGUMENT,
 *                 nothing changed
 *   "audio_processing" {"uuid","aec","ns","agc","vad"}  sets the switches given
 *                 (booleans; none given: reads) of a call, or without "uuid" (or
 *                 with "uuid":"") the client's default for new calls. Reply: "aec",
 *                 "ns", "agc", "vad" now; for a call also "uuid", "active" (a
 *                 processor runs on its audio) and then its state: "level_dbfs"
 *                 (microphone), "speaking", "erle_db", "drift_ppm", "delay_ms"
 *                 (once found), "mic_rate_hz" and "speaker_rate_hz" (device mode)
 *   "audio_ringtone"   {"ringtone":"builtin"|"off"|"wav:PATH"}  what a ringing call
 *                 plays from now on; a WAV that is not 16-bit PCM (or no file):
 *                 CC_ERR_INVALID_ARGUMENT, nothing changed
 *   "precall_test" {"echo_number"?,"seconds"?}    the pre-call test, below
 * Status and *reply_json as for cc_client_request; the reply has
 * "code":"0" on success. Does not touch the CTI link. The audio_* calls
 * and "precall_test" take only the keys shown: another key (a misspelt
 * "aek", or "AEC") or a value of the wrong type is CC_ERR_INVALID_ARGUMENT,
 * nothing changed.
 *
 * "precall_test" checks, before the agent takes calls, step by step: the
 * registrar can be reached ("registrar"), ICE gathers with ice_servers
 * ("ice": a STUN server must give a reflexive candidate, a TURN server a
 * relayed one), a call to the echo extension (echo_number, else config
 * rtc_echo_number; none: skipped) measured for "seconds" (default 5, at
 * most 30) ("echo_call"), and the microphone's level on that call when the
 * SDK's voice processing can read it ("microphone"; skipped otherwise). It
 * blocks until done: at most about 40 s plus "seconds". It needs RTC mode
 * (else CC_ERR_UNSUPPORTED) and no call on the phone (else CC_ERR_BUSY).
 * Reply: {"grade":"excellent"|"great"|"good"|"fair"|"degraded","mos",
 * "rtt_ms","jitter_ms","loss","input_level_dbfs"?,"steps":[{"name","ok",
 * "skipped"?,"ms","error"?}],"failed_step"?}: the grade of the echo call's
 * MOS (excellent over 4.2, great 4.1-4.2, good 3.7-4.1, fair 3.1-3.7,
 * degraded under 3.1), "degraded" when a step failed, null when the echo
 * call was skipped and no step failed; a figure not measured (the echo
 * call skipped, no RTCP round trip) is null; cc_client_free from another
 * thread ends it with CC_ERR_CLOSED. It blocks the calling thread:
 * called from an event callback, it holds that client's later events
 * back until it returns.
 *
 * "call_quality_warning" {"uuid","name","raised","value","threshold"}: a
 * call's quality warning raised (raised true) or cleared, sampled once a
 * second, cleared no sooner than 5 s after it was raised (config
 * rtc_quality_warnings); the rules over 5 samples clear when none of the
 * last 5 is over the limit (loss: and the mean across 7 is back to 1%), the
 * others as soon as they no longer hold; a call that ends drops its raised
 * warnings without clearing them. name, with value and threshold in its unit:
 *   high_rtt                   RTT over 400 ms in 3 of the last 5 seconds (ms)
 *   high_jitter                jitter over 30 ms in 3 of 5 (ms)
 *   high_packet_loss           loss over 1% in 3 of 5, or a mean over 3% across 7 (share)
 *   low_mos                    MOS under 3.5 in 3 of 5
 *   no_audio_received, no_audio_sent   no audio bytes in 3 seconds in a row
 *                              while audio should flow (not on hold, not muted)
 *   constant_audio_input_level the microphone's level moves less than 0.1 dB
 *                              (standard deviation) over 10 s, not muted (dB)
 *   speaking_while_muted       voice on the microphone in 2 of 3 seconds while
 *                              muted (samples)
 * The last two need the SDK's voice processing on the call (device mode, or
 * host mode with processing). */
CC_EXTERN(int) cc_client_media(cc_client_t *c, const char *name, const char *params_json, char **reply_json);

/* Sends microphone audio into a call: count mono 16-bit samples at rate Hz
 * (resampled as needed). The samples are copied before it returns. The
 * first push makes pushed audio the call's source; push in real time
 * (e.g. 20 ms at a time): the library keeps a short buffer and drops the
 * oldest audio when it overflows. In device mode pushed audio replaces the
 * microphone until "stop_play"; with rtc_audio "none" it is refused
 * (CC_ERR_UNSUPPORTED). */
CC_EXTERN(int) cc_client_push_pcm(cc_client_t *c, const char *uuid, const int16_t *samples, size_t count, int rate);

/* Sets (fn not NULL) or removes (fn NULL) the function that receives a
 * call's received audio at rate Hz. Once cc_client_free returns, fn is not
 * called again. user_data is passed back untouched. With rtc_audio "none"
 * setting one is refused (CC_ERR_UNSUPPORTED). */
CC_EXTERN(int) cc_client_set_pcm_sink(cc_client_t *c, const char *uuid, int rate, cc_pcm_fn fn, void *user_data);

/* Frees a string the library returned. NULL is a no-op. */
CC_EXTERN(void) cc_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDCC_H */
