/* bridge.h - the C side of the cgo bridge (private to capi/). */
#ifndef CLOUDCC_BRIDGE_H
#define CLOUDCC_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct cc_client cc_client_t;
typedef void (*cc_event_fn)(void *user_data, const char *event_json);
typedef void (*cc_reply_fn)(void *user_data, int status, const char *reply_json);
typedef void (*cc_pcm_fn)(void *user_data, const char *uuid, const int16_t *samples, size_t count, int rate);

/* Handles are ids from the Go handle table, carried in a pointer. */
static inline cc_client_t *cc_handle_of(uintptr_t id) { return (cc_client_t *)id; }
static inline uintptr_t cc_id_of(cc_client_t *c) { return (uintptr_t)c; }

/* Trampolines: Go cannot call a C function pointer directly. user_data is
 * carried through Go as an integer: hosts pass ids (Python, C#) as often as
 * pointers, and a small integer in a Go pointer variable crashes the Go
 * stack copier ("invalid pointer found on stack").
 *
 * Each trampoline also marks, in a thread-local (bridge.c), which client's
 * callback the calling thread is inside and of which kind, so that a call
 * back into the library from that callback (cc_client_free,
 * cc_client_set_event_callback) knows not to wait for the callback it is
 * running in. A goroutine id would do the same at ~10 us a lookup. */
enum { CC_CB_NONE = 0, CC_CB_EVENT = 1, CC_CB_COUNTED = 2 /* PCM: counted in flight */, CC_CB_REPLY = 3 /* async reply: counted too */ };

#if defined(_WIN32)
#define CC_BRIDGE_HIDDEN /* a DLL exports only what is marked dllexport (cgo's //export) */
#else
#define CC_BRIDGE_HIDDEN __attribute__((visibility("hidden")))
#endif
CC_BRIDGE_HIDDEN void cc_bridge_call_event(cc_event_fn fn, uintptr_t ud, const char *json, uintptr_t client);
CC_BRIDGE_HIDDEN void cc_bridge_call_reply(cc_reply_fn fn, uintptr_t ud, int status, const char *json, uintptr_t client);
CC_BRIDGE_HIDDEN void cc_bridge_call_pcm(cc_pcm_fn fn, uintptr_t ud, const char *uuid, const int16_t *s, size_t n,
                                         int rate, uintptr_t client);
/* The kind of the callback of client the calling thread is inside (CC_CB_*). */
CC_BRIDGE_HIDDEN int cc_bridge_callback_kind(uintptr_t client);

/* Static strings (bridge.c): never freed by anyone. */
CC_BRIDGE_HIDDEN const char *cc_bridge_version(void);
CC_BRIDGE_HIDDEN const char *cc_bridge_status_str(int status);

#endif
