/* version.c - cc_version's string. The version is written once, in the public
 * header (CC_VERSION); the library, the packages (wheel, nupkg, pkg-config,
 * CMake) and the SONAME all read it from there. */
#include "../include/cloudcc.h"

#if !defined(_WIN32)
__attribute__((visibility("hidden")))
#endif
const char *cc_bridge_version(void) { return CC_VERSION; }
