/* libFuzzer target: the Dockerfile parser of `kapsel audit`. */
#include "audit/internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct kdockerfile df;
	kerr e;
	memset(&df, 0, sizeof(df));
	if (kdockerfile_parse(&df, "Dockerfile", text, &e) == 0)
		kdockerfile_free(&df);
	free(text);
	return 0;
}
