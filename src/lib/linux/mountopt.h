/* mount(8)-style option words -> MS_* flags, propagation and recursive
 * mount attributes.  Words that are not flags are filesystem data. */
#ifndef KAPSEL_MOUNTOPT_H
#define KAPSEL_MOUNTOPT_H

#include <stdint.h>

struct kmount_flags {
	unsigned long set, clear;   /* MS_* */
	unsigned long propagation;  /* MS_PRIVATE ... | MS_REC */
	uint64_t attr_set, attr_clr;/* MOUNT_ATTR_* applied recursively */
	int bind;
	int tmpcopyup;              /* copy the directory's content into a new tmpfs */
};

enum kmountopt_kind { KMOPT_DATA = 0, KMOPT_FLAG, KMOPT_PROPAGATION, KMOPT_RECURSIVE, KMOPT_EXTENSION, KMOPT_UNSUPPORTED };

/* Fold one option into F.  Returns its kind. */
enum kmountopt_kind kmountopt_apply(const char *opt, struct kmount_flags *f);
/* Propagation word ("rslave") -> flags, 0 if not one. */
unsigned long kmountopt_propagation(const char *word);
/* Every option word we understand, NULL-terminated (for `features`). */
const char *const *kmountopt_names(void);

#endif
