/*
 * contract_test.c - the C side of the ABI contract (include/cloudcc.abi.json,
 * written by `go test ./capi/internal/abi -run TestABIContract -update`).
 *
 * C's table is the header itself: tests/c/run.sh lists cloudcc.h's cc_status
 * constants into cc_status_list.h (one CC_STATUS(name) each), compiled here
 * with the header, so the values checked are the compiler's. The contract's
 * statuses must be exactly those, with the same values and cc_status_str
 * texts. Then, through the library: the config of every sample is accepted,
 * and every request, HTTP and media name of the contract is dispatched (not
 * refused as unknown), while a name outside it is.
 *
 * Usage: contract_test CONTRACT_JSON. Needs no server. Prints "N passed,
 * N failed" last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudcc.h"

#include "check.h"

/* The header's statuses, as compiled. */
static const struct {
    const char *name;
    int value;
} header_statuses[] = {
#define CC_STATUS(n) {#n, n},
#include "cc_status_list.h"
#undef CC_STATUS
};
enum { header_n = sizeof header_statuses / sizeof header_statuses[0] };

/* ---- a minimal JSON walker over the contract's text ---- */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

/* skip returns the first character after the JSON value at p (NULL if malformed). */
static const char *skip(const char *p) {
    p = ws(p);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : NULL;
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        while (p && *p && *p != close) {
            if (close == '}') { /* key: value */
                p = skip(p);
                if (!p || *(p = ws(p)) != ':') return NULL;
                p++;
            }
            p = skip(p);
            if (!p) return NULL;
            p = ws(p);
            if (*p == ',') p = ws(p + 1);
        }
        return p && *p ? p + 1 : NULL;
    }
    while (*p && !strchr(",}] \n\r\t", *p)) p++; /* number, true, false, null */
    return p;
}

/* member returns the value of key in the object at obj, or NULL. */
static const char *member(const char *obj, const char *key) {
    const char *p = ws(obj);
    if (*p != '{') return NULL;
    p = ws(p + 1);
    size_t kl = strlen(key);
    while (p && *p == '"') {
        const char *k = p + 1, *end = skip(p);
        if (!end) return NULL;
        p = ws(end);
        if (*p != ':') return NULL;
        p = ws(p + 1);
        if ((size_t)(end - 1 - k) == kl && strncmp(k, key, kl) == 0) return p;
        p = skip(p);
        if (!p) return NULL;
        p = ws(p);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

/* next steps through an array: *it starts at '[', each call gives the next element or NULL. */
static const char *next(const char **it) {
    const char *p = ws(*it);
    if (*p == '[' || *p == ',') p = ws(p + 1);
    if (*p == ']' || !*p) return NULL;
    const char *end = skip(p);
    if (!end) return NULL;
    *it = ws(end);
    return p;
}

/* str copies the JSON string at v (escapes other than \" and \\ kept as is) into out. */
static const char *str(const char *v, char *out, size_t n) {
    size_t i = 0;
    out[0] = 0;
    if (!v || *(v = ws(v)) != '"') return out;
    for (v++; *v && *v != '"' && i + 1 < n; v++) {
        if (*v == '\\' && (v[1] == '"' || v[1] == '\\')) v++;
        out[i++] = *v;
    }
    out[i] = 0;
    return out;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

/* ---- the checks ---- */

static void check_statuses(const char *contract) {
    const char *it = member(contract, "statuses"), *s;
    CHECK(it != NULL, "the contract has no statuses");
    if (!it) return;
    int n = 0;
    char name[64], text[64];
    while ((s = next(&it))) {
        n++;
        str(member(s, "name"), name, sizeof name);
        const char *v = member(s, "value");
        int value = v ? atoi(v) : 12345;
        str(member(s, "text"), text, sizeof text);
        int found = 0;
        for (int i = 0; i < header_n; i++) {
            if (strcmp(header_statuses[i].name, name) == 0) {
                found = 1;
                CHECK(header_statuses[i].value == value, "%s is %d in cloudcc.h, %d in the contract", name,
                      header_statuses[i].value, value);
            }
        }
        CHECK(found, "the contract's %s is not in cloudcc.h", name);
        CHECK(strcmp(cc_status_str(value), text) == 0, "cc_status_str(%d) = %s, the contract says %s", value,
              cc_status_str(value), text);
    }
    CHECK(n == header_n, "the contract has %d statuses, cloudcc.h %d", n, header_n);
    char unknown[64];
    str(member(contract, "status_unknown_text"), unknown, sizeof unknown);
    CHECK(strcmp(cc_status_str(12345), unknown) == 0, "cc_status_str(12345) = %s, the contract says %s",
          cc_status_str(12345), unknown);
}

/* sample_config is the config object of every key's sample, made of the contract's own JSON text. */
static char *sample_config(const char *contract) {
    const char *it = member(contract, "config"), *k;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    if (!it || !out) {
        free(out);
        return NULL;
    }
    out[len++] = '{';
    char key[64];
    while ((k = next(&it))) {
        str(member(k, "key"), key, sizeof key);
        const char *v = member(k, "sample"), *end = v ? skip(v) : NULL;
        if (!end || len + strlen(key) + (size_t)(end - v) + 8 >= cap) {
            free(out);
            return NULL;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s\"%s\":%.*s", len > 1 ? "," : "", key, (int)(end - v), v);
    }
    out[len++] = '}';
    out[len] = 0;
    return out;
}

static void check_config(const char *contract) {
    char *cfg = sample_config(contract);
    CHECK(cfg != NULL, "the contract's config samples cannot be read");
    if (!cfg) return;
    cc_client_t *c = NULL;
    char *err = NULL;
    int st = cc_client_new(cfg, &c, &err);
    CHECK(st == CC_OK && c != NULL, "the config of every sample is refused: %d %s", st, err ? err : "");
    cc_string_free(err);
    cc_client_free(c);
    free(cfg);
}

/* check_names runs each name of the contract's list `list` through call: none
 * may be refused as unknown (its reply naming `unknown`), and "no_such_name" must be. */
static void check_names(cc_client_t *c, const char *contract, const char *list, const char *unknown,
                        int (*call)(cc_client_t *, const char *, char **)) {
    const char *it = member(contract, list), *v;
    CHECK(it != NULL, "the contract has no %s", list);
    if (!it) return;
    char name[64];
    int n = 0;
    while ((v = next(&it))) {
        str(v, name, sizeof name);
        char *reply = NULL;
        int st = call(c, name, &reply);
        CHECK(!(st == CC_ERR_INVALID_ARGUMENT && contains(reply, unknown)), "%s %s: refused as unknown: %s", list,
              name, reply ? reply : "");
        cc_string_free(reply);
        n++;
    }
    CHECK(n > 0, "the contract's %s is empty", list);
    char *reply = NULL;
    int st = call(c, "no_such_name", &reply);
    CHECK(st == CC_ERR_INVALID_ARGUMENT && contains(reply, unknown), "%s no_such_name: %d %s", list, st,
          reply ? reply : "");
    cc_string_free(reply);
}

static int call_request(cc_client_t *c, const char *name, char **reply) {
    char req[128];
    snprintf(req, sizeof req, "{\"msg_type\":\"%s\"}", name);
    return cc_client_request(c, req, 2000, reply);
}

static int call_http(cc_client_t *c, const char *name, char **reply) {
    return cc_client_http(c, name, NULL, 2000, reply);
}

static int call_media(cc_client_t *c, const char *name, char **reply) {
    return cc_client_media(c, name, NULL, reply);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: contract_test include/cloudcc.abi.json\n");
        return 2;
    }
    char *contract = read_file(argv[1]);
    if (!contract) {
        fprintf(stderr, "contract_test: cannot read %s\n", argv[1]);
        return 2;
    }
    check_statuses(contract);
    check_config(contract);
    /* A client that reaches no server and has no http_url: a dispatched name
     * fails for those reasons, never as unknown. */
    cc_client_t *c = NULL;
    int st = cc_client_new("{\"ws_url\":\"ws://127.0.0.1:1/ws\",\"reconnect\":false,\"language\":\"en-US\","
                           "\"heartbeat_interval_ms\":-1,\"log_level\":\"off\"}",
                           &c, NULL);
    CHECK(st == CC_OK, "cc_client_new: %d", st);
    if (st == CC_OK) {
        check_names(c, contract, "requests", "unknown msg_type", call_request);
        check_names(c, contract, "http", "unknown HTTP call", call_http);
        check_names(c, contract, "media", "unknown media call", call_media);
    }
    cc_client_free(c);
    free(contract);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
