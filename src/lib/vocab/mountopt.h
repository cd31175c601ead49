/* mount(8)-style option words -> MS_* flags, propagation and recursive
 * mount attributes.  Words that are not flags are filesystem data.
 *
 * This is the one reading of a mount's options: the runtime-spec parser,
 * the policy and the audit all fold the options left to right through
 * kmountopt_apply, so "ro,rw" means writable everywhere. */
#ifndef KAPSEL_MOUNTOPT_H
#define KAPSEL_MOUNTOPT_H

#include <json-c/json.h>
#include <stdint.h>

struct kmount_flags {
	unsigned long set, clear;   /* MS_* */
	unsigned long propagation;  /* MS_PRIVATE ... | MS_REC */
	uint64_t attr_set, attr_clr;/* MOUNT_ATTR_* applied recursively */
	int bind;
	int tmpcopyup;              /* copy the directory's content into a new tmpfs */
	int idmap;                  /* "idmap" 1, "ridmap" 2 (recursive): an idmapped bind */
};

enum kmountopt_kind { KMOPT_DATA = 0, KMOPT_FLAG, KMOPT_PROPAGATION, KMOPT_RECURSIVE, KMOPT_EXTENSION, KMOPT_IDMAP, KMOPT_UNSUPPORTED };

/* Fold one option into F.  Returns its kind. */
enum kmountopt_kind kmountopt_apply(const char *opt, struct kmount_flags *f);
/* Propagation word ("rslave") -> flags, 0 if not one. */
unsigned long kmountopt_propagation(const char *word);
/* Fold a runtime-spec "options" array (strings; other members and a
 * non-array are ignored) into F, starting from F's current value. */
void kmountopt_fold_json(json_object *options, struct kmount_flags *f);
/* Is WORD's effect what the whole OPTIONS array ends with?  ("ro" in
 * ["ro","rw"] is not; "nosuid" in ["suid","nosuid"] is; "rslave" in
 * ["rprivate","rslave"] is.)  A data word is in effect when present. */
int kmountopt_in_effect(json_object *options, const char *word);
/* Every option word we understand, NULL-terminated (for `features`). */
const char *const *kmountopt_names(void);

#endif
