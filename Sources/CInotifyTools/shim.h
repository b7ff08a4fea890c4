// CInotifyTools: libinotifytools (recursive inotify watches). The library keeps global state,
// so exactly one thread in the process may call it (FileWatch owns that thread).
#ifndef COHORT_CINOTIFYTOOLS_SHIM_H
#define COHORT_CINOTIFYTOOLS_SHIM_H
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>

/* The event's file name: a C flexible array member, which Swift does not import. */
static inline const char *cohort_inotify_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}
#endif
