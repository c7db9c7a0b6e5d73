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
    case -10: return "CC_ERR_NOT_CHECKED_IN";
    case -99: return "CC_ERR_INTERNAL";
    }
    return "CC_ERR_UNKNOWN";
}
