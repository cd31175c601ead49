/* Enum <-> name tables from one macro, so no part writes its own lookup
 * loop.  Given a dense table of names indexed by the enum,
 *
 *     static const char *const kstatus_table[] = { [KSTATUS_CREATED] = "created", ... };
 *     KAPSEL_DEFINE_NAME_TABLE(kstatus, enum kstatus, kstatus_table)
 *
 * defines  const char *kstatus_to_name(enum kstatus v)   (NULL out of range)
 * and      int kstatus_from_name(const char *s)          (-1 unknown or NULL)
 * which the part's header declares with KAPSEL_DECLARE_NAME_TABLE. */
#ifndef KAPSEL_NAMES_H
#define KAPSEL_NAMES_H

#include <string.h>

#define KAPSEL_DECLARE_NAME_TABLE(prefix, type) \
	const char *prefix##_to_name(type v);   \
	int prefix##_from_name(const char *s)

#define KAPSEL_DEFINE_NAME_TABLE(prefix, type, table)                                     \
	const char *prefix##_to_name(type v)                                              \
	{                                                                                 \
		size_t i = (size_t)v;                                                     \
		return i < sizeof(table) / sizeof((table)[0]) ? (table)[i] : NULL;        \
	}                                                                                 \
	int prefix##_from_name(const char *s)                                             \
	{                                                                                 \
		for (size_t i = 0; s && i < sizeof(table) / sizeof((table)[0]); i++)      \
			if ((table)[i] && !strcmp((table)[i], s))                         \
				return (int)i;                                            \
		return -1;                                                                \
	}                                                                                 \
	_Static_assert(1, "end of " #prefix "'s name table")

#endif
