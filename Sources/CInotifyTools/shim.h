// CInotifyTools: libinotifytools (recursive inotify watches). The library keeps global state,
// so exactly one thread in the process may call it (FileWatch owns that thread).
#ifndef COHORT_CINOTIFYTOOLS_SHIM_H
#define COHORT_CINOTIFYTOOLS_SHIM_H
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#endif
