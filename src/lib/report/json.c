/* The JSON text form of the reports (report.h). */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>

char *krep_json(json_object *root)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = NULL;
	if (s && asprintf(&out, "%s\n", s) < 0)
		out = NULL;
	json_object_put(root);
	return out;
}
