// CTurboJPEG: libjpeg-turbo's TurboJPEG API. It reports errors by return value (no longjmp),
// so no helper code is needed here.
#ifndef COHORT_CTURBOJPEG_SHIM_H
#define COHORT_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h>
#endif
