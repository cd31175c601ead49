#include "mountopt.h"

#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct opt {
	const char *name;
	enum kmountopt_kind kind;
	int clear;               /* for FLAG and RECURSIVE: the option clears */
	unsigned long flag;      /* MS_* or propagation */
	uint64_t attr;           /* MOUNT_ATTR_* for RECURSIVE */
	int atime;               /* one of the exclusive atime modes */
};

static const struct opt opts[] = {
	{ "async", KMOPT_FLAG, 1, MS_SYNCHRONOUS, 0 },
	{ "atime", KMOPT_FLAG, 1, MS_NOATIME, 0 },
	{ "bind", KMOPT_FLAG, 0, MS_BIND, 0 },
	{ "defaults", KMOPT_FLAG, 0, 0, 0 },
	{ "dev", KMOPT_FLAG, 1, MS_NODEV, 0 },
	{ "diratime", KMOPT_FLAG, 1, MS_NODIRATIME, 0 },
	{ "dirsync", KMOPT_FLAG, 0, MS_DIRSYNC, 0 },
	{ "exec", KMOPT_FLAG, 1, MS_NOEXEC, 0 },
	{ "iversion", KMOPT_FLAG, 0, MS_I_VERSION, 0 },
	{ "lazytime", KMOPT_FLAG, 0, MS_LAZYTIME, 0 },
	{ "loud", KMOPT_FLAG, 1, MS_SILENT, 0 },
	{ "mand", KMOPT_FLAG, 0, MS_MANDLOCK, 0 },
	{ "noatime", KMOPT_FLAG, 0, MS_NOATIME, 0 },
	{ "nodev", KMOPT_FLAG, 0, MS_NODEV, 0 },
	{ "nodiratime", KMOPT_FLAG, 0, MS_NODIRATIME, 0 },
	{ "noexec", KMOPT_FLAG, 0, MS_NOEXEC, 0 },
	{ "noiversion", KMOPT_FLAG, 1, MS_I_VERSION, 0 },
	{ "nolazytime", KMOPT_FLAG, 1, MS_LAZYTIME, 0 },
	{ "nomand", KMOPT_FLAG, 1, MS_MANDLOCK, 0 },
	{ "norelatime", KMOPT_FLAG, 1, MS_RELATIME, 0 },
	{ "nostrictatime", KMOPT_FLAG, 1, MS_STRICTATIME, 0 },
	{ "nosuid", KMOPT_FLAG, 0, MS_NOSUID, 0 },
	{ "nosymfollow", KMOPT_FLAG, 0, MS_NOSYMFOLLOW, 0 },
	{ "rbind", KMOPT_FLAG, 0, MS_BIND | MS_REC, 0 },
	{ "relatime", KMOPT_FLAG, 0, MS_RELATIME, 0 },
	{ "remount", KMOPT_FLAG, 0, MS_REMOUNT, 0 },
	{ "ro", KMOPT_FLAG, 0, MS_RDONLY, 0 },
	{ "rw", KMOPT_FLAG, 1, MS_RDONLY, 0 },
	{ "silent", KMOPT_FLAG, 0, MS_SILENT, 0 },
	{ "strictatime", KMOPT_FLAG, 0, MS_STRICTATIME, 0 },
	{ "suid", KMOPT_FLAG, 1, MS_NOSUID, 0 },
	{ "sync", KMOPT_FLAG, 0, MS_SYNCHRONOUS, 0 },
	{ "symfollow", KMOPT_FLAG, 1, MS_NOSYMFOLLOW, 0 },

	{ "private", KMOPT_PROPAGATION, 0, MS_PRIVATE, 0 },
	{ "rprivate", KMOPT_PROPAGATION, 0, MS_PRIVATE | MS_REC, 0 },
	{ "shared", KMOPT_PROPAGATION, 0, MS_SHARED, 0 },
	{ "rshared", KMOPT_PROPAGATION, 0, MS_SHARED | MS_REC, 0 },
	{ "slave", KMOPT_PROPAGATION, 0, MS_SLAVE, 0 },
	{ "rslave", KMOPT_PROPAGATION, 0, MS_SLAVE | MS_REC, 0 },
	{ "unbindable", KMOPT_PROPAGATION, 0, MS_UNBINDABLE, 0 },
	{ "runbindable", KMOPT_PROPAGATION, 0, MS_UNBINDABLE | MS_REC, 0 },

	{ "rro", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_RDONLY },
	{ "rrw", KMOPT_RECURSIVE, 1, 0, MOUNT_ATTR_RDONLY },
	{ "rnosuid", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_NOSUID },
	{ "rsuid", KMOPT_RECURSIVE, 1, 0, MOUNT_ATTR_NOSUID },
	{ "rnodev", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_NODEV },
	{ "rdev", KMOPT_RECURSIVE, 1, 0, MOUNT_ATTR_NODEV },
	{ "rnoexec", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_NOEXEC },
	{ "rexec", KMOPT_RECURSIVE, 1, 0, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", KMOPT_RECURSIVE, 1, 0, MOUNT_ATTR_NODIRATIME },
	/* the atime modes are one field: set it, and clear the whole mask */
	{ "rrelatime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_RELATIME, 1 },
	{ "rnorelatime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_STRICTATIME, 1 },
	{ "rnoatime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_NOATIME, 1 },
	{ "ratime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_RELATIME, 1 },
	{ "rstrictatime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_STRICTATIME, 1 },
	{ "rnostrictatime", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_RELATIME, 1 },
	{ "rnosymfollow", KMOPT_RECURSIVE, 0, 0, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", KMOPT_RECURSIVE, 1, 0, MOUNT_ATTR_NOSYMFOLLOW },

	/* crun's extension, used by Podman for --tmpfs: the tmpfs starts with
	 * what the image has at that path */
	{ "tmpcopyup", KMOPT_EXTENSION, 0, 0, 0 },
	{ "notmpcopyup", KMOPT_EXTENSION, 1, 0, 0 },

	/* runtime-spec 1.2: the bind is idmapped (mount_setattr
	 * MOUNT_ATTR_IDMAP), on its top mount or, ridmap, on every submount
	 * of an rbind; never passed to mount(2) */
	{ "idmap", KMOPT_IDMAP, 0, 1, 0 },
	{ "ridmap", KMOPT_IDMAP, 0, 2, 0 },
};

enum kmountopt_kind kmountopt_apply(const char *word, struct kmount_flags *f)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const struct opt *o = &opts[i];
		if (strcmp(o->name, word))
			continue;
		switch (o->kind) {
		case KMOPT_FLAG:
			if (o->clear) {
				f->set &= ~o->flag;
				f->clear |= o->flag;
			} else {
				f->set |= o->flag;
				f->clear &= ~o->flag;
			}
			if (o->flag & MS_BIND)
				f->bind = 1;
			break;
		case KMOPT_PROPAGATION:
			f->propagation = o->flag;
			break;
		case KMOPT_EXTENSION:
			f->tmpcopyup = !o->clear;
			break;
		case KMOPT_IDMAP:
			f->idmap = (int)o->flag;
			break;
		case KMOPT_RECURSIVE:
			if (o->atime) {
				f->attr_set = (f->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->attr;
				f->attr_clr |= MOUNT_ATTR__ATIME;
			} else if (o->clear) {
				f->attr_clr |= o->attr;
				f->attr_set &= ~o->attr;
			} else {
				f->attr_set |= o->attr;
				f->attr_clr &= ~o->attr;
			}
			break;
		default:
			break;
		}
		return o->kind;
	}
	return KMOPT_DATA;
}

unsigned long kmountopt_propagation(const char *word)
{
	struct kmount_flags f = { 0 };
	if (kmountopt_apply(word, &f) == KMOPT_PROPAGATION)
		return f.propagation;
	return 0;
}

void kmountopt_fold_json(json_object *options, struct kmount_flags *f)
{
	if (!options || !json_object_is_type(options, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(options); i++) {
		json_object *w = json_object_array_get_idx(options, i);
		if (json_object_is_type(w, json_type_string))
			kmountopt_apply(json_object_get_string(w), f);
	}
}

static int data_present(json_object *options, const char *word)
{
	for (size_t i = 0; options && json_object_is_type(options, json_type_array) &&
			   i < json_object_array_length(options); i++) {
		json_object *w = json_object_array_get_idx(options, i);
		if (json_object_is_type(w, json_type_string) && !strcmp(json_object_get_string(w), word))
			return 1;
	}
	return 0;
}

int kmountopt_in_effect(json_object *options, const char *word)
{
	struct kmount_flags all = { 0 }, one = { 0 };
	enum kmountopt_kind kind = kmountopt_apply(word, &one);
	kmountopt_fold_json(options, &all);
	switch (kind) {
	case KMOPT_FLAG:
		if (one.bind && !all.bind)
			return 0;
		return (all.set & one.set) == one.set && (all.clear & one.clear) == one.clear &&
		       (one.set | one.clear) != 0;
	case KMOPT_PROPAGATION:
		return all.propagation == one.propagation;
	case KMOPT_RECURSIVE:
		return (all.attr_set & one.attr_set) == one.attr_set && (all.attr_clr & one.attr_clr) == one.attr_clr &&
		       (!one.attr_set || (all.attr_set & one.attr_set));
	case KMOPT_EXTENSION:
		return all.tmpcopyup == one.tmpcopyup && data_present(options, word);
	default:
		return data_present(options, word);
	}
}

const char *const *kmountopt_names(void)
{
	static const char *names[sizeof(opts) / sizeof(opts[0]) + 1];
	size_t n = 0;
	if (!names[0])
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (opts[i].kind != KMOPT_UNSUPPORTED)
				names[n++] = opts[i].name;
	return names;
}
