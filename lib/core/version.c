/* version.c — rk_version(): the library's own version string (core/version.h). */
#include "core/version.h"

const char *rk_version(void)
{
    return RK_VERSION;
}
