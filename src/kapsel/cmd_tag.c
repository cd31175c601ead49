/* kapsel tag SOURCE TARGET: another name for an image of the store. */
#include "kapsel.h"

#include "image/store.h"

static int tag_run(const struct cli_call *c)
{
	struct kstore *s;
	int rc = kapsel_store(c, KSTORE_EXCLUSIVE, &s);
	if (rc)
		return rc;
	kerr e = { 0 };
	rc = kstore_tag(s, c->argv[0], c->argv[1], &e);
	const struct kstore_image *img;
	kerr ig = { 0 };
	if (rc == 0 && kstore_resolve(s, c->argv[1], &img, NULL, &ig) == 0)
		kapsel_image_event(c, "tag", img->id, c->argv[1]);
	kstore_close(s);
	return rc < 0 ? cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg) : CLI_EXIT_OK;
}

const struct cli_command cmd_tag = {
	.name = "tag",
	.run = tag_run,
	.min_args = 2,
	.max_args = 2,
	.args = "SOURCE[:TAG]|ID TARGET[:TAG]",
	.summary = "give an image another name",
};
