/* RLIMIT_* names, as the runtime-spec spells them. */
#ifndef KAPSEL_VOCAB_RLIMITS_H
#define KAPSEL_VOCAB_RLIMITS_H

int krlimit_from_name(const char *name);   /* "RLIMIT_NOFILE" -> 7, -1 unknown */
const char *krlimit_name(int resource);    /* 7 -> "RLIMIT_NOFILE", NULL unknown */
const char *const *krlimit_names(void);     /* NULL-terminated */

#endif
