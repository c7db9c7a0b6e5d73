/*
 * smoke.c - the Windows build of libcloudcc (cloudcc.dll, cross-compiled
 * with mingw-w64) driven through include/cloudcc.h under Wine, against a
 * ccsim running on the Linux side of loopback. Only the C ABI is used, so
 * this is what a Windows softphone sees: the DLL loads, requests and events
 * work, __cdecl callbacks arrive, bad input is refused.
 *
 *   smoke.exe 127.0.0.1:PORT        (prints "N passed, N failed")
 */
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "cloudcc.h"

static int passed, failed;
#define CHECK(cond, what)                                                    \
    do {                                                                     \
        if (cond) passed++;                                                  \
        else { failed++; fprintf(stderr, "FAIL %s: %s\n", what, #cond); }    \
    } while (0)

static volatile LONG agent_changes, callbacks_ok;

static void CC_CALLBACK on_event(void *user_data, const char *json) {
    if ((ULONG_PTR)user_data != 42) return; /* user_data comes back untouched */
    if (strstr(json, "\"msg_type\":\"agent_change\"")) InterlockedIncrement(&agent_changes);
}

static void CC_CALLBACK on_reply(void *user_data, int status, const char *json) {
    if ((ULONG_PTR)user_data == 7 && status == CC_OK && strstr(json, "pong")) InterlockedIncrement(&callbacks_ok);
}

static int ok(cc_client_t *c, const char *json) {
    char *reply = NULL;
    int st = cc_client_request(c, json, 5000, &reply);
    int good = st == CC_OK && reply && strstr(reply, "\"code\":\"0\"");
    if (!good) fprintf(stderr, "request %s -> %d %s\n", json, st, reply ? reply : "");
    cc_string_free(reply);
    return good;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8090";
    CHECK(strcmp(cc_version(), CC_VERSION) == 0, "version matches the header");
    char cfg[512], *err = NULL, *reply = NULL;
    cc_client_t *c = NULL;
    CHECK(cc_client_new("{\"ws_url\":1}", &c, &err) == CC_ERR_INVALID_ARGUMENT && c == NULL && err, "bad config");
    cc_string_free(err);
    CHECK(cc_client_request(NULL, "{\"msg_type\":\"ping\"}", 100, NULL) == CC_ERR_INVALID_HANDLE, "NULL handle");

    snprintf(cfg, sizeof cfg, "{\"ws_url\":\"ws://%s/msg/\",\"http_url\":\"http://%s\",\"company_code\":\"90001\","
             "\"agent_id\":\"90001_20000\",\"ext_id\":\"90001_20000\",\"language\":\"en-US\",\"heartbeat_interval_ms\":-1}", addr, addr);
    CHECK(cc_client_new(cfg, &c, NULL) == CC_OK && c, "client");
    CHECK(cc_client_set_event_callback(c, on_event, (void *)(ULONG_PTR)42) == CC_OK, "callback");
    /* The sound devices through the DLL's own backend (WASAPI under Wine):
     * a device list, or a clear refusal where Wine has no audio driver. */
    int st = cc_client_media(c, "audio_devices", "{}", &reply);
    CHECK((st == CC_OK && reply && strstr(reply, "\"backend\":\"wasapi\"") && strstr(reply, "\"devices\":[")) ||
          (st == CC_ERR_UNSUPPORTED && reply), "audio_devices lists the devices, or says why not");
    printf("audio_devices: %d %.200s\n", st, reply ? reply : "");
    cc_string_free(reply);
    reply = NULL;
    CHECK(ok(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"11111\",\"start_status\":\"FREE\"}"), "checkin");
    CHECK(ok(c, "{\"msg_type\":\"change_status\",\"action\":\"MAKE_BUSY\"}"), "change_status");
    for (int i = 0; i < 100; i++) cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 5000, on_reply, (void *)(ULONG_PTR)7);
    CHECK(cc_client_http(c, "get-skill-service-list", NULL, 5000, &reply) == CC_OK && strstr(reply, "skill_name"), "http");
    cc_string_free(reply);
    for (int i = 0; i < 500 && callbacks_ok < 100; i++) Sleep(10);
    CHECK(callbacks_ok == 100, "100 async replies, exactly once each");
    /* The platform's services hand a status push and its reply to the link
     * on different paths, so either may come first (ccsim answers reply
     * first by default, as the real server was seen to). Whatever the
     * order, each status push reaches the callback, on a library thread. */
    for (int i = 0; i < 500 && agent_changes < 1; i++) Sleep(10);
    CHECK(agent_changes >= 1, "agent_change of the check-in");
    CHECK(ok(c, "{\"msg_type\":\"checkout\"}"), "checkout");
    for (int i = 0; i < 500 && agent_changes < 2; i++) Sleep(10);
    CHECK(agent_changes >= 2, "agent_change of the checkout");
    cc_client_free(c);
    cc_client_free(c); /* freed: ignored */
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
