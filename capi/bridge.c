#include "bridge.h"

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
    case -10: return "CC_ERR_NOT_CHECKED_IN";
    case -11: return "CC_ERR_BUSY";
    case -99: return "CC_ERR_INTERNAL";
    }
    return "CC_ERR_UNKNOWN";
}

/* The callback the current thread is inside: one copy for the library. */
typedef struct {
    uintptr_t client;
    int kind;
} cc_cb_frame;

#if defined(_WIN32)
/* mingw's __thread/_Thread_local needs libgcc's DLL (emutls): use the Win32
 * TLS slots instead, so cloudcc.dll depends on system DLLs only. */
#include <windows.h>
static DWORD cc_tls_client = TLS_OUT_OF_INDEXES, cc_tls_kind = TLS_OUT_OF_INDEXES;
static INIT_ONCE cc_tls_once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK cc_tls_init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
    (void)once;
    (void)param;
    (void)ctx;
    cc_tls_client = TlsAlloc();
    cc_tls_kind = TlsAlloc();
    return TRUE;
}
static cc_cb_frame cc_cb_get(void) {
    DWORD err = GetLastError(); /* TlsGetValue resets it: keep the host's */
    InitOnceExecuteOnce(&cc_tls_once, cc_tls_init, NULL, NULL);
    cc_cb_frame f = {(uintptr_t)TlsGetValue(cc_tls_client), (int)(intptr_t)TlsGetValue(cc_tls_kind)};
    SetLastError(err);
    return f;
}
static void cc_cb_set(cc_cb_frame f) {
    DWORD err = GetLastError();
    InitOnceExecuteOnce(&cc_tls_once, cc_tls_init, NULL, NULL);
    TlsSetValue(cc_tls_client, (LPVOID)f.client);
    TlsSetValue(cc_tls_kind, (LPVOID)(intptr_t)f.kind);
    SetLastError(err);
}
#else
static _Thread_local cc_cb_frame cc_cb_current;
static cc_cb_frame cc_cb_get(void) { return cc_cb_current; }
static void cc_cb_set(cc_cb_frame f) { cc_cb_current = f; }
#endif

void cc_bridge_call_event(cc_event_fn fn, uintptr_t ud, const char *json, uintptr_t client) {
    cc_cb_frame prev = cc_cb_get();
    cc_cb_set((cc_cb_frame){client, CC_CB_EVENT});
    if (fn) fn((void *)ud, json);
    cc_cb_set(prev);
}

void cc_bridge_call_reply(cc_reply_fn fn, uintptr_t ud, int status, const char *json, uintptr_t client) {
    cc_cb_frame prev = cc_cb_get();
    cc_cb_set((cc_cb_frame){client, CC_CB_REPLY});
    if (fn) fn((void *)ud, status, json);
    cc_cb_set(prev);
}

void cc_bridge_call_pcm(cc_pcm_fn fn, uintptr_t ud, const char *uuid, const int16_t *s, size_t n, int rate,
                        uintptr_t client) {
    cc_cb_frame prev = cc_cb_get();
    cc_cb_set((cc_cb_frame){client, CC_CB_COUNTED});
    if (fn) fn((void *)ud, uuid, s, n, rate);
    cc_cb_set(prev);
}

int cc_bridge_callback_kind(uintptr_t client) {
    cc_cb_frame f = cc_cb_get();
    return f.client == client ? f.kind : CC_CB_NONE;
}
