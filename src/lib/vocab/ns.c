#include "ns.h"

#include "common/cleanup.h"

#include <sched.h>
#include <string.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* alphabetical by type name: kns_type_names() hands the names out in order */
static const struct {
	const char *name, *proc;
	int type;
} ns_types[] = {
	{ "cgroup", "cgroup", CLONE_NEWCGROUP }, { "ipc", "ipc", CLONE_NEWIPC },
	{ "mount", "mnt", CLONE_NEWNS },          { "network", "net", CLONE_NEWNET },
	{ "pid", "pid", CLONE_NEWPID },           { "time", "time", CLONE_NEWTIME },
	{ "user", "user", CLONE_NEWUSER },        { "uts", "uts", CLONE_NEWUTS },
};

static const char *const type_names[] = {
	"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL,
};
_Static_assert(ARRAY_SIZE(type_names) == ARRAY_SIZE(ns_types) + 1, "one name per namespace type");

int kns_type_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(ns_types); i++)
		if (!strcmp(ns_types[i].name, name))
			return ns_types[i].type;
	return 0;
}

const char *kns_type_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++)
		if (ns_types[i].type == type)
			return ns_types[i].name;
	return "?";
}

const char *kns_proc_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++)
		if (ns_types[i].type == type)
			return ns_types[i].proc;
	return NULL;
}

const char *const *kns_type_names(void)
{
	return type_names;
}
