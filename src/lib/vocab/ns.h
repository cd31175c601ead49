/* Namespace names: the runtime-spec's type names ("network"), the CLONE_NEW*
 * flags and the /proc/PID/ns/ file names ("net").  Joining and creating
 * namespaces is linux/ns.h's business. */
#ifndef KAPSEL_VOCAB_NS_H
#define KAPSEL_VOCAB_NS_H

/* "network" -> CLONE_NEWNET; 0 if not a runtime-spec namespace type. */
int kns_type_from_name(const char *name);
/* CLONE_NEWNET -> "network"; "?" for anything else (one flag only). */
const char *kns_type_name(int type);
/* CLONE_NEWNET -> "net", the file in /proc/PID/ns; NULL for anything else. */
const char *kns_proc_name(int type);
/* The runtime-spec type names in alphabetical order, NULL-terminated. */
const char *const *kns_type_names(void);

#endif
