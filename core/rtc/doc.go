// Package rtc is the SDK's SIP user agent over WebSocket (RFC 7118) for
// the RTC login type: it registers sip:{ext_id}@{domain} with digest auth,
// keeps the binding fresh, answers the platform's INVITEs (at once when
// they carry an auto-answer hint, else ringing until Answer), and carries
// hold, change_media, DTMF and hang-up in SIP. Media is core/media's (or
// any Media the caller supplies); rtc moves its SDP.
//
// rtc knows nothing of the CTI link. The CTI call uuid travels in the
// INVITE's X-CC-UUID header; Phone.CallByUUID finds the call a CTI request
// is about. The agent layer above glues the two.
//
// # Transport
//
// rtc owns its WebSocket (gorilla/websocket, subprotocol "sip", one SIP
// message per text frame) and uses emiago/sipgo's sip package for the
// messages themselves (parser, headers, URIs). sipgo's own transport
// layer is not used: it dials on demand and gives no hook when a
// connection drops, and an agent's phone has to know at once (to register
// again and restart ICE on its calls). Over a reliable transport a client
// transaction is a queue of the responses that carry its branch, so the
// transaction layer here is small.
//
// # Threads
//
// One goroutine reads the link; it never blocks on the application: each
// call's in-dialog requests go to the call's own worker, in order, and
// events go to an unbounded queue delivered in order on a goroutine the
// phone owns. Config.OnEvent may call the phone (even Close).
//
// See docs/rtc.md.
package rtc
