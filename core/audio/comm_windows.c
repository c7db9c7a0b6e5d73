// The default communications audio endpoint on Windows: the role a headset
// usually takes, which miniaudio does not look up (its default is the
// console role). ole32 is loaded at run time, as miniaudio does, so the
// DLL imports nothing new.
#define COBJMACROS
#include <windows.h>
#include <stdint.h>
#include <mmdeviceapi.h>

// Our own copies of the GUIDs: no link against libuuid.
static const GUID cc_CLSID_MMDeviceEnumerator = {0xBCDE0395, 0xE52F, 0x467C, {0x8E, 0x3D, 0xC4, 0x57, 0x92, 0x91, 0x69, 0x2E}};
static const GUID cc_IID_IMMDeviceEnumerator = {0xA95664D2, 0x9614, 0x4F35, {0xA7, 0x46, 0xDE, 0x8D, 0xB6, 0x36, 0x17, 0xE6}};

typedef HRESULT(WINAPI *co_init_fn)(LPVOID, DWORD);
typedef void(WINAPI *co_uninit_fn)(void);
typedef HRESULT(WINAPI *co_create_fn)(REFCLSID, LPUNKNOWN, DWORD, REFIID, LPVOID *);
typedef void(WINAPI *co_free_fn)(LPVOID);

// cc_audio_default_comm writes the endpoint id (UTF-16, no terminator) of
// the default communications capture (capture != 0) or render device into
// out and returns its length; 0 when there is none, -1 when COM fails.
int cc_audio_default_comm(int capture, uint16_t *out, int cap) {
    HMODULE ole = LoadLibraryW(L"ole32.dll");
    if (ole == NULL) return -1;
    co_init_fn co_init = (co_init_fn)(void *)GetProcAddress(ole, "CoInitializeEx");
    co_uninit_fn co_uninit = (co_uninit_fn)(void *)GetProcAddress(ole, "CoUninitialize");
    co_create_fn co_create = (co_create_fn)(void *)GetProcAddress(ole, "CoCreateInstance");
    co_free_fn co_free = (co_free_fn)(void *)GetProcAddress(ole, "CoTaskMemFree");
    if (!co_init || !co_uninit || !co_create || !co_free) {
        FreeLibrary(ole);
        return -1;
    }
    // A Go thread may already be in a COM apartment (RPC_E_CHANGED_MODE):
    // COM is usable then, but not ours to uninitialize.
    HRESULT hr = co_init(NULL, COINIT_MULTITHREADED);
    int uninit = SUCCEEDED(hr);
    int n = -1;
    IMMDeviceEnumerator *en = NULL;
    hr = co_create(&cc_CLSID_MMDeviceEnumerator, NULL, CLSCTX_ALL, &cc_IID_IMMDeviceEnumerator, (void **)&en);
    if (SUCCEEDED(hr) && en != NULL) {
        IMMDevice *dev = NULL;
        hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(en, capture ? eCapture : eRender, eCommunications, &dev);
        if (SUCCEEDED(hr) && dev != NULL) {
            LPWSTR id = NULL;
            if (SUCCEEDED(IMMDevice_GetId(dev, &id)) && id != NULL) {
                n = 0;
                while (id[n] != 0 && n < cap) {
                    out[n] = (uint16_t)id[n];
                    n++;
                }
                co_free(id);
            }
            IMMDevice_Release(dev);
        } else {
            n = 0; // no such device (E_NOTFOUND)
        }
        IMMDeviceEnumerator_Release(en);
    }
    if (uninit) co_uninit();
    FreeLibrary(ole);
    return n;
}
