#include "bridge.h"

const char *cc_bridge_version(void) { return "0.1.0"; }

const char *cc_bridge_status_str(int status) {
    switch (status) {
    case 0: return "CC_OK";
    case -1: return "CC_ERR_INVALID_ARGUMENT";
    case -2: return "CC_ERR_INVALID_HANDLE";
    case -3: return "CC_ERR_TIMEOUT";
    case -4: return "CC_ERR_NOT_CONNECTED";
    case -5: return "CC_ERR_CONNECTION_LOST";
    case -6: return "CC_ERR_CLOSED";
    case -7: return "CC_ERR_HTTP";
    case -8: return "CC_ERR_UNSUPPORTED";
    case -9: return "CC_ERR_TLS";
    case -10: return "CC_ERR_BUSY";
    case -99: return "CC_ERR_INTERNAL";
    }
    return "CC_ERR_UNKNOWN";
}

/* The callback the current thread is inside: one copy for the library. */
typedef struct {
    uintptr_t client;
    int kind;
} cc_cb_frame;
static _Thread_local cc_cb_frame cc_cb_current;

void cc_bridge_call_event(cc_event_fn fn, uintptr_t ud, const char *json, uintptr_t client) {
    cc_cb_frame prev = cc_cb_current;
    cc_cb_current.client = client;
    cc_cb_current.kind = CC_CB_EVENT;
    if (fn) fn((void *)ud, json);
    cc_cb_current = prev;
}

void cc_bridge_call_reply(cc_reply_fn fn, uintptr_t ud, int status, const char *json, uintptr_t client) {
    cc_cb_frame prev = cc_cb_current;
    cc_cb_current.client = client;
    cc_cb_current.kind = CC_CB_COUNTED;
    if (fn) fn((void *)ud, status, json);
    cc_cb_current = prev;
}

void cc_bridge_call_pcm(cc_pcm_fn fn, uintptr_t ud, const char *uuid, const int16_t *s, size_t n, int rate,
                        uintptr_t client) {
    cc_cb_frame prev = cc_cb_current;
    cc_cb_current.client = client;
    cc_cb_current.kind = CC_CB_COUNTED;
    if (fn) fn((void *)ud, uuid, s, n, rate);
    cc_cb_current = prev;
}

int cc_bridge_callback_kind(uintptr_t client) {
    return cc_cb_current.client == client ? cc_cb_current.kind : CC_CB_NONE;
}
