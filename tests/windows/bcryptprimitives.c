/*
 * bcryptprimitives.c - a stand-in for Windows' bcryptprimitives.dll, for
 * the Wine test only. Go's Windows runtime takes its random numbers from
 * ProcessPrng (Windows 10+), which Debian's Wine 8 does not provide; this
 * shim answers it with RtlGenRandom. It is never shipped: real Windows has
 * the DLL.
 */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
