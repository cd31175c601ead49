/* kapsel scan: the packages of an image (or a root filesystem, or an
 * SBOM), the known vulnerabilities they carry, and SBOMs; and
 * `kapsel scan db update` to compile the vulnerability index.
 *
 * Exit codes (docs/scan.md): 0 nothing actionable at --fail-on, 1
 * actionable findings at or above it (or in a --fail-on-state state), 2
 * usage error, 3 the scan could not reach a verdict (unreadable input, no
 * or stale vulnerability data), 4 no package database in the target. */
#include "kapsel.h"

#include "common/cleanup.h"
#include "common/conf.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"
#include "common/strv.h"
#include "common/time.h"
#include "image/image.h"
#include "image/store.h"
#include "report/report.h"
#include "scan/fetch.h"
#include "scan/invcache.h"
#include "scan/inventory.h"
#include "scan/match.h"
#include "scan/sbom.h"
#include "scan/vex.h"
#include "scan/vulndb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef KAPSEL_VERSION
#define KAPSEL_VERSION "0.1.0"
#endif

#define SCAN_EXIT_NO_PACKAGES 4

struct scan_args {
	const char *archive, *rootfs, *sbom, *container, *db, *explain, *output;
	int format;
	int fail_on;
	char **fail_on_state;
	int64_t max_age;
	int allow_stale, inventory, no_cache;
	char **from, **url, **vex;
};

static const char *const formats[] = { "table", "json", "cyclonedx", "cyclonedx-1.6", "spdx", "sarif", NULL };
enum { F_TABLE, F_JSON, F_CDX, F_CDX16, F_SPDX, F_SARIF };
static const char *const severities[] = { "unknown", "negligible", "low", "medium", "high", "critical", NULL };

#define A struct scan_args
static const struct cli_option scan_options[] = {
	CLI_OPT_STRING(0, "archive", A, archive, "FILE", "scan a docker save archive or OCI layout (tar or directory)"),
	CLI_OPT_STRING(0, "rootfs", A, rootfs, "DIR", "scan a root filesystem (--rootfs / for the host)"),
	CLI_OPT_STRING(0, "sbom", A, sbom, "FILE", "re-match an SBOM (CycloneDX or SPDX JSON)"),
	CLI_OPT_STRING(0, "container", A, container, "NAME|ID",
		       "scan a kapsel container's root filesystem as it is now (running or not)"),
	CLI_OPT_CHOICE('f', "format", A, format, formats, "output format (default table)"),
	CLI_OPT_STRING('o', "output", A, output, "FILE", "write the report to FILE instead of stdout"),
	CLI_OPT_STRING(0, "db", A, db, "DIR", "vulnerability index directory (default ROOT/scan)"),
	CLI_OPT_CHOICE(0, "fail-on", A, fail_on, severities,
		       "exit 1 on actionable findings (a fix exists) of this severity or above (default unknown: all)"),
	CLI_OPT_LIST(
		0, "fail-on-state", A, fail_on_state, "STATE[,STATE]",
		"exit 1 on findings in these states too (open, no-dsa, postponed, ignored, undetermined, end-of-life)"),
	CLI_OPT_DURATION(0, "max-data-age", A, max_age, "DURATION", 0, 0,
			 "refuse vulnerability data older than this (default 168h)"),
	CLI_OPT_FLAG(0, "allow-stale", A, allow_stale, "scan with data older than --max-data-age, saying so"),
	CLI_OPT_FLAG(0, "no-cache", A, no_cache,
		     "an image of the store: read its layers even when its inventory is cached"),
	CLI_OPT_FLAG(0, "inventory", A, inventory, "packages only: no vulnerability matching (no index needed)"),
	CLI_OPT_STRV(0, "vex", A, vex, "FILE",
		     "apply VEX statements (OpenVEX 0.2 or CycloneDX): not_affected/fixed suppress, others annotate"),
	CLI_OPT_STRING(0, "explain", A, explain, "ID",
		       "print every record of vulnerability ID and the rule that decided"),
	CLI_OPT_STRV(0, "from", A, from, "FILE|DIR", "db update: import this tracker JSON, OSV file/dir/zip or secdb"),
	CLI_OPT_STRV(0, "url", A, url, "URL",
		     "db update: fetch this source (https; ETag and Last-Modified kept, a 304 reuses the last copy)"),
	CLI_OPT_END,
};
#undef A

static const struct scan_args scan_defaults = { .max_age = 168LL * 3600 * 1000000000LL };

static int data_error(const struct cli_call *c, const kerr *e)
{
	return cli_error(c, CLI_EXIT_CHECK_ERROR, "%s", e->msg);
}

static char *db_dir(const struct cli_call *c, const struct scan_args *a)
{
	const struct kapsel_globals *g = c->globals;
	return a->db ? strdup(a->db) : kstr_printf("%s/scan", g->root);
}

/* ---- db update ---- */

static int db_update(const struct cli_call *c, const struct scan_args *a)
{
	if (c->argc != 2 || strcmp(c->argv[1], "update"))
		return cli_usage_error(
			c, "db: the only sub-command is \"update\" (kapsel scan db update --from FILE|DIR)");
	if ((!a->from || !a->from[0]) && (!a->url || !a->url[0]))
		return cli_usage_error(c, "db update: --from FILE|DIR or --url URL is required");
	_cleanup_free_ char *dir = db_dir(c, a);
	struct kvuln_builder *b;
	kerr e = { 0 };
	if (!dir || kvuln_builder_new(&b, &e) < 0)
		return data_error(c, &e);
	for (char **f = a->from; f && *f; f++) {
		if (kvuln_builder_add_path(b, *f, NULL, 0, &e) < 0) {
			kvuln_builder_free(b);
			kerr_wrap(&e, "db update");
			return data_error(c, &e);
		}
	}
	for (char **u = a->url; u && *u; u++) {
		char *path;
		int64_t date;
		int changed;
		if (kscan_fetch(dir, *u, &path, &date, &changed, &e) < 0) {
			kvuln_builder_free(b);
			kerr_wrap(&e, "db update");
			return data_error(c, &e);
		}
		fprintf(stderr, "%s: %s\n", *u, changed ? "fetched" : "not modified (304): the last copy is used");
		/* no Last-Modified: the data is as fresh as this answer */
		int r = kvuln_builder_add_path(b, path, *u, date ? date : (int64_t)time(NULL), &e);
		free(path);
		if (r < 0) {
			kvuln_builder_free(b);
			kerr_wrap(&e, "db update");
			return data_error(c, &e);
		}
	}
	int r = kvuln_builder_write(b, dir, &e);
	kvuln_builder_free(b);
	if (r < 0)
		return data_error(c, &e);
	struct kvuln_db *db;
	if (kvuln_db_open(dir, &db, &e) < 0)
		return data_error(c, &e);
	printf("%s/index: %zu records from %zu sources (%s)\n", dir, kvuln_db_nrecords(db), kvuln_db_nsources(db),
	       kvuln_db_digest(db));
	for (size_t i = 0; i < kvuln_db_nsources(db); i++) {
		struct kvuln_source s;
		kvuln_db_source(db, i, &s);
		printf("  %-14s %8u records  %s  %s\n", kvuln_source_kind_to_name(s.kind), s.records, s.digest,
		       s.origin);
	}
	kvuln_db_close(db);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* ---- an image of the store ---- */

/* The store keeps blobs, not a layout the reader opens.  The scan makes a
 * minimal OCI layout under ROOT/scan/layout-PID: hard links to the
 * config and layer blobs (no layer is copied), a manifest and index.json
 * written for them; removed when the scan ends, or by the next scan when
 * a killed one left it. */
static void rm_layout(const char *dir)
{
	_cleanup_free_ char *blobs = kstr_printf("%s/blobs/sha256", dir);
	DIR *d = blobs ? opendir(blobs) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	_cleanup_free_ char *b1 = kstr_printf("%s/blobs", dir), *ix = kstr_printf("%s/index.json", dir),
			    *ol = kstr_printf("%s/oci-layout", dir);
	if (blobs)
		rmdir(blobs);
	if (b1)
		rmdir(b1);
	if (ix)
		unlink(ix);
	if (ol)
		unlink(ol);
	rmdir(dir);
}

static void rm_stale_layouts(const char *scan_dir)
{
	DIR *d = opendir(scan_dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int pid;
		if (sscanf(de->d_name, "layout-%d", &pid) != 1 || pid <= 0 || (kill(pid, 0) < 0 && errno == EPERM))
			continue;
		if (kill(pid, 0) == 0)
			continue;
		_cleanup_free_ char *p = kstr_printf("%s/%s", scan_dir, de->d_name);
		if (p)
			rm_layout(p);
	}
	if (d)
		closedir(d);
}

static int link_blob(const char *root, const char *dir, const char *digest, kerr *e)
{
	if (!kstr_starts(digest, "sha256:"))
		return kerr_msg(e, EINVAL, "blob %s: not a sha256 digest", digest);
	_cleanup_free_ char *from = kstr_printf("%s/blobs/sha256/%s", root, digest + 7);
	_cleanup_free_ char *to = kstr_printf("%s/blobs/sha256/%s", dir, digest + 7);
	if (!from || !to)
		return kerr_set(e, ENOMEM, "layout");
	if (link(from, to) < 0 && errno != EEXIST)
		return kerr_errno(e, "link %s", from);
	return 0;
}

static int write_blob(const char *dir, const char *json, char digest[KSHA256_DIGEST], kerr *e)
{
	uint8_t sum[KSHA256_LEN];
	ksha256(json, strlen(json), sum);
	ksha256_digest(sum, digest);
	_cleanup_free_ char *p = kstr_printf("%s/blobs/sha256/%s", dir, digest + 7);
	return p ? kfs_write_file(p, json, strlen(json), 0644, 0, e) : kerr_set(e, ENOMEM, "layout");
}

static int make_layout(const char *root, const struct kstore_image *img, const char *dir, const char *name, kerr *e)
{
	_cleanup_free_ char *blobs = kstr_printf("%s/blobs/sha256", dir);
	_cleanup_free_ char *cfgpath = kstr_printf("%s/blobs/sha256/%s", root, img->id + 7);
	struct stat st;
	if (!blobs || !cfgpath)
		return kerr_set(e, ENOMEM, "layout");
	if (kfs_mkdir_p(blobs, 0700, e) < 0)
		return -1;
	if (stat(cfgpath, &st) < 0)
		return kerr_errno(e, "config blob %s", img->id);
	if (link_blob(root, dir, img->id, e) < 0)
		return -1;
	_cleanup_json_ json_object *man = json_object_new_object();
	json_object *cfg = json_object_new_object(), *layers = json_object_new_array();
	json_object_object_add(man, "schemaVersion", json_object_new_int(2));
	json_object_object_add(man, "mediaType", json_object_new_string("application/vnd.oci.image.manifest.v1+json"));
	json_object_object_add(cfg, "mediaType", json_object_new_string("application/vnd.oci.image.config.v1+json"));
	json_object_object_add(cfg, "digest", json_object_new_string(img->id));
	json_object_object_add(cfg, "size", json_object_new_int64(st.st_size));
	json_object_object_add(man, "config", cfg);
	json_object_object_add(man, "layers", layers);
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct kstore_layer *l = &img->layers[i];
		if (link_blob(root, dir, l->digest, e) < 0)
			return -1;
		json_object *x = json_object_new_object();
		json_object_object_add(x, "mediaType",
				       json_object_new_string(l->media_type
								      ? l->media_type
								      : "application/vnd.oci.image.layer.v1.tar"));
		json_object_object_add(x, "digest", json_object_new_string(l->digest));
		json_object_object_add(x, "size", json_object_new_int64(l->size));
		json_object_array_add(layers, x);
	}
	char mdigest[KSHA256_DIGEST];
	const char *mjson = json_object_to_json_string_ext(man, JSON_C_TO_STRING_PLAIN);
	if (write_blob(dir, mjson, mdigest, e) < 0)
		return -1;
	_cleanup_json_ json_object *index = json_object_new_object();
	json_object *mans = json_object_new_array(), *d = json_object_new_object(), *ann = json_object_new_object();
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(d, "mediaType", json_object_new_string("application/vnd.oci.image.manifest.v1+json"));
	json_object_object_add(d, "digest", json_object_new_string(mdigest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)strlen(mjson)));
	json_object_object_add(ann, "org.opencontainers.image.ref.name", json_object_new_string(name));
	json_object_object_add(d, "annotations", ann);
	json_object_array_add(mans, d);
	json_object_object_add(index, "manifests", mans);
	_cleanup_free_ char *ixp = kstr_printf("%s/index.json", dir), *olp = kstr_printf("%s/oci-layout", dir);
	if (!ixp || !olp)
		return kerr_set(e, ENOMEM, "layout");
	const char *ix = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN);
	if (kfs_write_file(ixp, ix, strlen(ix), 0644, 0, e) < 0)
		return -1;
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	return kfs_write_file(olp, layout, sizeof(layout) - 1, 0644, 0, e);
}

static int kapsel_scan_store_image(const struct cli_call *c, const char *ref, int no_cache, struct kscan_inventory *inv,
				   struct kscan_meta *m, char **digest, kerr *e)
{
	const struct kapsel_globals *g = c->globals;
	struct kstore *s;
	const struct kstore_image *img;
	if (kstore_open(g->root, KSTORE_SHARED, &s, e) < 0)
		return -1;
	if (kstore_resolve(s, ref, &img, NULL, e) < 0) {
		kstore_close(s);
		return -1;
	}
	static char name[512];
	snprintf(name, sizeof(name), "%s", img->names && img->names[0] ? img->names[0] : img->id);
	m->target = name;
	*digest = strdup(img->id);
	m->digest = *digest;
	_cleanup_free_ char *scan_dir = kstr_printf("%s/scan", g->root);
	_cleanup_free_ char *dir = kstr_printf("%s/scan/layout-%d", g->root, (int)getpid());
	int r = -1;
	if (scan_dir && *digest && !no_cache && kscan_invcache_load(scan_dir, img->id, inv) == 1) {
		/* the store verified every layer against the config's diff_ids at load */
		kstore_close(s);
		return 0;
	}
	if (!scan_dir || !dir || !*digest) {
		kerr_set(e, ENOMEM, "layout");
	} else {
		rm_stale_layouts(scan_dir);
		rm_layout(dir);
		struct kimage *ki;
		if (make_layout(g->root, img, dir, name, e) == 0 && kimage_open(dir, &ki, e) == 0) {
			r = kscan_inventory_image(ki, inv, e);
			kimage_close(ki);
		}
		kerr ig = { 0 };
		/* a cache that cannot be written costs the next scan a walk, nothing more */
		if (r == 0)
			kscan_invcache_store(scan_dir, img->id, inv, &ig);
		rm_layout(dir);
	}
	kstore_close(s);
	if (r < 0)
		kerr_wrap(e, "image %s", ref);
	return r;
}

/* ---- a container ---- */

/* The container's tree as it is now (its upper layer over the image's):
 * packages installed since the image was made are there.  Read through
 * the engine's fd of its overlay, every open under it RESOLVE_IN_ROOT. */
static int scan_container(const struct cli_call *c, const char *ref, struct kscan_inventory *inv, struct kscan_meta *m,
			  kerr *e)
{
	const struct kapsel_globals *g = c->globals;
	struct keng *eng;
	char id[65];
	m->target = ref;
	m->target_kind = "container";
	/* the runtime is never run here: its name only fills the handle */
	if (keng_open(g->root, KENG_SHARED, "kapsel-runtime", NULL, &eng, e) < 0)
		return -1;
	int fd = -1;
	if (keng_resolve(eng, ref, id, e) == 0)
		fd = keng_rootfs_open(eng, id, e);
	keng_close(eng);
	if (fd < 0)
		return kerr_wrap(e, "container %s", ref);
	int r = kscan_inventory_rootfd(fd, ref, inv, e);
	close(fd);
	return r;
}

/* ---- the target ---- */

static int load_target(const struct cli_call *c, const struct scan_args *a, struct kscan_inventory *inv,
		       struct kscan_meta *m, char **digest, kerr *e)
{
	if (a->rootfs) {
		m->target = a->rootfs;
		m->target_kind = "rootfs";
		return kscan_inventory_root(a->rootfs, inv, e);
	}
	if (a->container)
		return scan_container(c, a->container, inv, m, e);
	if (a->sbom) {
		m->target = a->sbom;
		m->target_kind = "sbom";
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (kfs_read_file(a->sbom, &buf, &len, e) < 0)
			return -1;
		return kscan_sbom_read(buf, len, a->sbom, inv, e);
	}
	struct kimage *img;
	const char *path = a->archive;
	_cleanup_free_ char *layout = NULL;
	if (!path) {
		m->target_kind = "image";
		return kapsel_scan_store_image(c, c->argv[0], a->no_cache, inv, m, digest, e);
	}
	m->target_kind = "archive";
	if (kimage_open(path, &img, e) < 0)
		return -1;
	m->target = img->name ? img->name : path;
	*digest = kstr_dup(img->config_digest);
	m->digest = *digest;
	int r = kscan_inventory_image(img, inv, e);
	if (img->name) {
		static char name[512];
		snprintf(name, sizeof(name), "%s", img->name);
		m->target = name;
	}
	kimage_close(img);
	return r;
}

/* ---- output ---- */

static void table(FILE *f, const struct kscan_inventory *inv, const struct kscan_result *res, const struct kvuln_db *db,
		  int inventory_only)
{
	fprintf(f, "%s (%s) %zu %s packages from %s\n",
		inv->os_pretty ? inv->os_pretty
		: inv->os_id   ? inv->os_id
			       : "unknown OS",
		res ? res->release : "no release", inv->npkgs, kscan_eco_to_name(inv->eco), inv->db);
	if (inventory_only || !res) {
		fprintf(f, "%-32s %-32s %-24s %s\n", "PACKAGE", "VERSION", "SOURCE", "LAYER");
		for (size_t i = 0; i < inv->npkgs; i++) {
			const struct kscan_pkg *p = &inv->pkgs[i];
			char layer[24] = "-";
			if (p->layer < inv->nlayers)
				snprintf(layer, sizeof(layer), "%zu", p->layer);
			fprintf(f, "%-32s %-32s %-24s %s\n", p->name, p->version, p->source, layer);
			for (size_t j = 0; j < p->nfiles; j++)
				fprintf(f, "    %s %04o%s%s\n", p->files[j].path, p->files[j].mode & 07777,
					p->files[j].caps ? " " : "", p->files[j].caps ? p->files[j].caps : "");
		}
		for (size_t j = 0; j < inv->nunowned; j++)
			fprintf(f, "  (no package) %s %04o%s%s\n", inv->unowned[j].path, inv->unowned[j].mode & 07777,
				inv->unowned[j].caps ? " " : "", inv->unowned[j].caps ? inv->unowned[j].caps : "");
		return;
	}
	for (size_t i = 0; db && i < kvuln_db_nsources(db); i++) {
		struct kvuln_source s;
		char t[KTIME_BUFSZ];
		struct timespec ts = { .tv_sec = 0 };
		kvuln_db_source(db, i, &s);
		ts.tv_sec = s.date;
		ktime_format(t, sizeof(t), &ts, KTIME_SECONDS);
		fprintf(f, "data: %s %s of %s (%s)\n", kvuln_source_kind_to_name(s.kind), s.origin, t, s.digest);
	}
	fprintf(f, "findings:");
	for (int s = 0; s < KVULN_STATE_MAX; s++)
		if (s != KVULN_NOT_AFFECTED)
			fprintf(f, " %s %zu,", kvuln_state_to_name(s), res->by_state[s]);
	fprintf(f, " actionable %zu, suppressed by VEX %zu\n", res->actionable, res->suppressed);
	for (size_t i = 0; i < res->n;) {
		const struct kscan_pkg *p = &inv->pkgs[res->v[i].pkg];
		size_t j = i, counts[KVULN_STATE_MAX] = { 0 };
		for (; j < res->n && res->v[j].pkg == res->v[i].pkg; j++)
			counts[res->v[j].rec.state]++;
		fprintf(f, "\n%s %s (source %s %s):", p->name, p->version, p->source, p->source_version);
		for (int s = 0; s < KVULN_STATE_MAX; s++)
			if (counts[s])
				fprintf(f, " %s %zu", kvuln_state_to_name(s), counts[s]);
		fputc('\n', f);
		for (; i < j; i++) {
			const struct kscan_finding *x = &res->v[i];
			fprintf(f, "  %-18s %-13s %-10s %-18s %s%s", x->rec.id, kvuln_state_to_name(x->rec.state),
				kscan_severity_to_name(x->severity), *x->rec.urgency ? x->rec.urgency : "-",
				x->actionable ? "fixed in " : "", x->actionable ? x->rec.fixed : "");
			if (x->vex)
				fprintf(f, " [vex %s%s%s]", x->vex->status, x->vex->justification ? ": " : "",
					x->vex->justification ? x->vex->justification : "");
			fputc('\n', f);
		}
	}
}

static int explain(FILE *f, const struct kscan_inventory *inv, const struct kscan_result *res,
		   const struct kvuln_db *db, const char *id)
{
	if (!res->n) {
		fprintf(f, "%s: no record for any installed package's source in %s\n", id, res->release);
		return 0;
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct kscan_finding *x = &res->v[i];
		const struct kscan_pkg *p = &inv->pkgs[x->pkg];
		struct kvuln_source s;
		kvuln_db_source(db, x->rec.source, &s);
		fprintf(f, "%s in %s %s (source %s %s):\n", id, p->name, p->version, p->source, p->source_version);
		fprintf(f, "  record   %s %s %s: state %s, fixed %s, urgency %s%s%s\n",
			kvuln_source_kind_to_name(s.kind), x->rec.release, x->rec.package,
			kvuln_state_to_name(x->rec.state), *x->rec.fixed ? x->rec.fixed : "-",
			*x->rec.urgency ? x->rec.urgency : "-", *x->rec.severity ? ", cvss " : "", x->rec.severity);
		if (*x->rec.note)
			fprintf(f, "  note     %s\n", x->rec.note);
		fprintf(f, "  rule     compared the source version with %s's rules: %s\n", kscan_eco_to_name(p->eco),
			x->rule);
		fprintf(f, "  verdict  %s%s, severity %s\n", kscan_verdict_to_name(x->verdict),
			x->actionable ? " (actionable: a fix exists)" : "", kscan_severity_to_name(x->severity));
	}
	return 0;
}

/* The VEX documents FILES into VEX (later ones win); DIGEST (may be
 * NULL): "sha256:..." of them all, in order, for the gate's cache key. */
static int vex_load(char *const *files, struct kscan_vex *vex, char digest[KSHA256_DIGEST], kerr *e)
{
	struct ksha256 h;
	ksha256_init(&h);
	for (char *const *v = files; v && *v; v++) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (kfs_read_file(*v, &buf, &len, e) < 0 || kscan_vex_read(vex, buf, len, *v, e) < 0) {
			kscan_vex_done(vex);
			ksha256_release(&h);
			return -1;
		}
		uint64_t n = len;
		ksha256_update(&h, &n, sizeof(n));
		ksha256_update(&h, buf, len);
	}
	uint8_t sum[KSHA256_LEN];
	ksha256_final(&h, sum);
	if (digest)
		ksha256_digest(sum, digest);
	return 0;
}

static int scan_run(const struct cli_call *c)
{
	const struct scan_args *a = c->opts;
	if (c->argc >= 1 && !strcmp(c->argv[0], "db"))
		return db_update(c, a);
	if (a->from || a->url)
		return cli_usage_error(c, "--from and --url belong to `kapsel scan db update`");
	int targets = !!a->archive + !!a->rootfs + !!a->sbom + !!a->container + (c->argc > 0);
	if (targets != 1)
		return cli_usage_error(
			c, "give one target: IMAGE, --archive FILE, --rootfs DIR, --container NAME|ID or --sbom FILE");
	if (c->argc > 1)
		return cli_usage_error(c, "unexpected argument \"%s\"", c->argv[1]);
	for (char **s = a->fail_on_state; s && *s; s++)
		if (kvuln_state_from_name(*s) < 0 || !strcmp(*s, "fixed") || !strcmp(*s, "not-affected"))
			return cli_usage_error(
				c,
				"--fail-on-state: \"%s\" is not one of open, no-dsa, postponed, ignored, undetermined, end-of-life",
				*s);
	int inventory_only = a->inventory || a->format == F_SPDX;
	if (a->explain && inventory_only)
		return cli_usage_error(c, "--explain needs the vulnerability index (not with --inventory or spdx)");

	kerr e = { 0 };
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct kscan_meta m = { .tool_version = KAPSEL_VERSION, .time = now.tv_sec };
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		char *end;
		long long t = strtoll(sde, &end, 10);
		if (*end || t < 0)
			return cli_usage_error(c, "SOURCE_DATE_EPOCH must be a number of seconds, not \"%s\"", sde);
		m.time = t;
	}

	/* the index first: a scan without usable data stops before reading the image */
	struct kvuln_db *db = NULL;
	_cleanup_free_ char *dir = db_dir(c, a);
	char stale_note[256] = "";
	if (!inventory_only) {
		if (!dir || kvuln_db_open(dir, &db, &e) < 0)
			return data_error(c, &e);
		int64_t oldest = INT64_MAX;
		for (size_t i = 0; i < kvuln_db_nsources(db); i++) {
			struct kvuln_source s;
			kvuln_db_source(db, i, &s);
			if (s.date < oldest)
				oldest = s.date;
		}
		int64_t age = now.tv_sec - oldest;
		if (a->max_age > 0 && age > a->max_age / 1000000000LL) {
			if (!a->allow_stale) {
				kvuln_db_close(db);
				return cli_error(
					c, CLI_EXIT_CHECK_ERROR,
					"vulnerability data in %s is %lld hours old (over --max-data-age): run `kapsel scan db update`, or pass --allow-stale",
					dir, (long long)(age / 3600));
			}
			snprintf(stale_note, sizeof(stale_note),
				 "kapsel scan: warning: the vulnerability data is %lld hours old\n",
				 (long long)(age / 3600));
		}
	}

	struct kscan_inventory inv;
	_cleanup_free_ char *digest = NULL;
	if (load_target(c, a, &inv, &m, &digest, &e) < 0) {
		kvuln_db_close(db);
		return cli_error(c, e.errnum == ENOPKG ? SCAN_EXIT_NO_PACKAGES : CLI_EXIT_CHECK_ERROR, "%s", e.msg);
	}
	struct kscan_result res = { 0 };
	if (db && kscan_match(&inv, db, a->explain ? KSCAN_MATCH_ALL : 0, a->explain, &res, &e) < 0) {
		kscan_inventory_done(&inv);
		kvuln_db_close(db);
		return data_error(c, &e);
	}
	struct kscan_vex vex = { 0 };
	if (db && vex_load(a->vex, &vex, NULL, &e) < 0) {
		kscan_result_done(&res);
		kscan_inventory_done(&inv);
		kvuln_db_close(db);
		return data_error(c, &e);
	}
	if (vex.n)
		kscan_vex_apply(&vex, &inv, &res);
	FILE *out = stdout;
	if (a->output && !(out = fopen(a->output, "we"))) {
		kscan_result_done(&res);
		kscan_vex_done(&vex);
		kscan_inventory_done(&inv);
		kvuln_db_close(db);
		return cli_error(c, CLI_EXIT_FAILURE, "open %s: %s", a->output, strerror(errno));
	}
	if (*stale_note)
		fputs(stale_note, stderr);
	char *text = NULL;
	if (a->explain)
		explain(out, &inv, &res, db, a->explain);
	else if (a->format == F_TABLE)
		table(out, &inv, db ? &res : NULL, db, inventory_only);
	else if (a->format == F_JSON)
		text = krep_json(kscan_doc_json(&m, &inv, db ? &res : NULL, db));
	else if (a->format == F_CDX || a->format == F_CDX16)
		text = krep_json(
			kscan_doc_cyclonedx(&m, &inv, db ? &res : NULL, db, a->format == F_CDX16 ? "1.6" : "1.5"));
	else if (a->format == F_SPDX)
		text = krep_json(kscan_doc_spdx(&m, &inv));
	else if (a->format == F_SARIF)
		text = db ? kscan_doc_sarif(&m, &inv, &res) : NULL;
	if (text)
		fputs(text, out);
	free(text);
	int rc = CLI_EXIT_OK;
	if (db && !a->explain) {
		for (size_t i = 0; i < res.n; i++) {
			const struct kscan_finding *x = &res.v[i];
			if (x->verdict != KSCAN_AFFECTED || x->suppressed)
				continue;
			if (x->actionable && (int)x->severity >= a->fail_on)
				rc = CLI_EXIT_FAILURE;
			for (char **s = a->fail_on_state; s && *s; s++)
				if (!strcmp(*s, kvuln_state_to_name(x->rec.state)))
					rc = CLI_EXIT_FAILURE;
		}
	}
	int werr = out != stdout ? fclose(out) : fflush(stdout);
	kscan_result_done(&res);
	kscan_vex_done(&vex);
	kscan_inventory_done(&inv);
	kvuln_db_close(db);
	if (werr)
		return cli_error(c, CLI_EXIT_FAILURE, "write the report: %s", strerror(errno));
	return rc;
}

/* ---- the verdict of create and run ---- */

KAPSEL_DEFINE_CLEANUP(struct kconf *, kconf_free)

#define VERDICT_VERSION 1
#define VERDICT_FINDINGS 16 /* kept in the verdict, worst first */
#define VERDICT_NAMED 3     /* named in the io.kapsel.scan.findings annotation */

static int by_severity(const void *a, const void *b)
{
	const struct kscan_finding *x = *(const struct kscan_finding *const *)a, *y = *(const struct kscan_finding *const *)b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return strcmp(x->rec.id, y->rec.id);
}

/* The verdict of matching INV: the actionable findings (a fix exists
 * and is not installed, not suppressed) counted per severity, the worst
 * first. */
static json_object *verdict_of(const char *image_id, const char *index, const char *vex,
			       const struct kscan_inventory *inv, const struct kscan_result *res)
{
	_cleanup_free_ const struct kscan_finding **v = calloc(res->n + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t n = 0, counts[KSEV_CRITICAL + 1] = { 0 };
	for (size_t i = 0; i < res->n; i++) {
		const struct kscan_finding *x = &res->v[i];
		if (x->verdict != KSCAN_AFFECTED || x->suppressed || !x->actionable)
			continue;
		v[n++] = x;
		counts[x->severity]++;
	}
	qsort(v, n, sizeof(*v), by_severity);
	json_object *o = json_object_new_object(), *cj = json_object_new_object(), *fj = json_object_new_array();
	json_object_object_add(o, "version", json_object_new_int(VERDICT_VERSION));
	json_object_object_add(o, "image", json_object_new_string(image_id));
	json_object_object_add(o, "index", json_object_new_string(index));
	if (vex)
		json_object_object_add(o, "vex", json_object_new_string(vex));
	json_object_object_add(o, "worst", json_object_new_string(n ? kscan_severity_to_name(v[0]->severity) : "none"));
	json_object_object_add(o, "actionable", json_object_new_int64((int64_t)n));
	for (int s = KSEV_CRITICAL; s >= KSEV_UNKNOWN; s--)
		if (counts[s])
			json_object_object_add(cj, kscan_severity_to_name(s), json_object_new_int64((int64_t)counts[s]));
	json_object_object_add(o, "counts", cj);
	for (size_t i = 0; i < n && i < VERDICT_FINDINGS; i++) {
		const struct kscan_pkg *p = &inv->pkgs[v[i]->pkg];
		json_object *f = json_object_new_object();
		json_object_object_add(f, "id", json_object_new_string(v[i]->rec.id));
		json_object_object_add(f, "severity", json_object_new_string(kscan_severity_to_name(v[i]->severity)));
		json_object_object_add(f, "package", json_object_new_string(p->name));
		json_object_object_add(f, "version", json_object_new_string(p->version));
		json_object_object_add(f, "source", json_object_new_string(p->source ? p->source : p->name));
		json_object_object_add(f, "source_version",
				       json_object_new_string(p->source_version ? p->source_version : p->version));
		json_object_object_add(f, "fixed", json_object_new_string(v[i]->rec.fixed ? v[i]->rec.fixed : ""));
		json_object_array_add(fj, f);
	}
	json_object_object_add(o, "findings", fj);
	return o;
}

static bool is_digest(const char *d)
{
	return d && kstr_starts(d, "sha256:") && strlen(d) == 71 && strspn(d + 7, "0123456789abcdef") == 64;
}

/* ROOT/scan/verdicts/<config hex>-<index hex>[-<vex hex>].json: the store
 * verified the layers against the config's diff_ids, the index digest
 * names the data, the VEX digest the documents [scan] vex names (their
 * content, in order): nothing else changes the verdict. */
static char *verdict_path(const char *scan_dir, const char *image_id, const char *index, const char *vex)
{
	if (!is_digest(image_id) || !is_digest(index) || (vex && !is_digest(vex)))
		return NULL;
	return kstr_printf("%s/verdicts/%s-%s%s%s.json", scan_dir, image_id + 7, index + 7, vex ? "-" : "",
			   vex ? vex + 7 : "");
}

/* A cached verdict of this image and index, or NULL (a miss: missing,
 * unreadable, of another version or for other digests). */
static json_object *verdict_load(const char *path, const char *image_id, const char *index, const char *vex)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	kerr ig = { 0 };
	if (kfs_read_file(path, &buf, &len, &ig) < 0)
		return NULL;
	json_object *o = kj_parse(path, buf, len, &ig);
	const char *w = kj_get_str(o, "worst");
	if (!o || kj_get_i64(o, "version", 0) != VERDICT_VERSION || !kj_get_str(o, "image") ||
	    strcmp(kj_get_str(o, "image"), image_id) || !kj_get_str(o, "index") || strcmp(kj_get_str(o, "index"), index) ||
	    strcmp(kj_get_str(o, "vex") ?: "", vex ?: "") ||
	    !w || (strcmp(w, "none") && kscan_severity_from_name(w) < 0) || !json_object_is_type(kj_get(o, "findings"), json_type_array)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void verdict_store(const char *scan_dir, const char *path, json_object *v)
{
	kerr ig = { 0 };
	_cleanup_free_ char *dir = kstr_printf("%s/verdicts", scan_dir);
	const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	/* a cache that cannot be written costs the next run a match, nothing more */
	if (dir && kfs_mkdir_p(dir, 0700, &ig) == 0)
		kfs_write_file(path, text, strlen(text), 0600, 1, &ig);
}

static void finding_text(char *buf, size_t n, json_object *f)
{
	snprintf(buf, n, "%s (%s) in %s %s (source %s %s), fixed in %s", kj_get_str(f, "id"), kj_get_str(f, "severity"),
		 kj_get_str(f, "package"), kj_get_str(f, "version"), kj_get_str(f, "source"),
		 kj_get_str(f, "source_version"), kj_get_str(f, "fixed"));
}

/* The verdict of IMAGE (a store reference) against the index in DIR:
 * from the cache, else matched (the inventory from its own cache) and
 * cached. */
static int scan_verdict(const struct cli_call *c, const char *image, const char *dir, struct kvuln_db *db,
			const struct kscan_vex *vex, const char *vex_digest, json_object **out, kerr *e)
{
	const struct kapsel_globals *g = c->globals;
	struct kstore *s;
	const struct kstore_image *img;
	if (kstore_open(g->root, KSTORE_SHARED, &s, e) < 0)
		return -1;
	if (kstore_resolve(s, image, &img, NULL, e) < 0) {
		kstore_close(s);
		return -1;
	}
	_cleanup_free_ char *id = strdup(img->id);
	kstore_close(s);
	const char *index = kvuln_db_digest(db);
	_cleanup_free_ char *path = id ? verdict_path(dir, id, index, vex_digest) : NULL;
	if (path && (*out = verdict_load(path, id, index, vex_digest)))
		return 0;
	struct kscan_inventory inv;
	struct kscan_meta m = { 0 };
	_cleanup_free_ char *digest = NULL;
	if (kapsel_scan_store_image(c, image, 0, &inv, &m, &digest, e) < 0)
		return -1;
	struct kscan_result res = { 0 };
	int r = kscan_match(&inv, db, 0, NULL, &res, e);
	if (r == 0 && vex && vex->n)
		kscan_vex_apply(vex, &inv, &res); /* not_affected, fixed: suppressed, not actionable */
	if (r == 0 && !(*out = verdict_of(digest, index, vex_digest, &inv, &res)))
		r = kerr_set(e, ENOMEM, "verdict");
	if (r == 0 && path && !strcmp(digest, id))
		verdict_store(dir, path, *out);
	kscan_result_done(&res);
	kscan_inventory_done(&inv);
	return r;
}

static int add_ann(char ***ann, const char *key, const char *value)
{
	_cleanup_free_ char *kv = kstr_printf("%s=%s", key, value);
	return kv ? kstrv_add(ann, kv) : -1;
}

/* The annotations the runtime's policy reads (rule S1, docs/policy.md). */
static int verdict_annotations(json_object *v, char ***ann, kerr *e)
{
	json_object *fs = kj_get(v, "findings");
	char named[1024] = "", one[400];
	for (size_t i = 0; i < json_object_array_length(fs) && i < VERDICT_NAMED; i++) {
		finding_text(one, sizeof(one), json_object_array_get_idx(fs, i));
		size_t l = strlen(named);
		snprintf(named + l, sizeof(named) - l, "%s%s", l ? "; " : "", one);
	}
	char count[32];
	snprintf(count, sizeof(count), "%" PRId64, kj_get_i64(v, "actionable", 0));
	if (add_ann(ann, "io.kapsel.scan.worst", kj_get_str(v, "worst")) < 0 ||
	    add_ann(ann, "io.kapsel.scan.actionable", count) < 0 ||
	    add_ann(ann, "io.kapsel.scan.findings", named) < 0 ||
	    add_ann(ann, "io.kapsel.scan.index", kj_get_str(v, "index")) < 0 ||
	    (kj_get_str(v, "vex") && add_ann(ann, "io.kapsel.scan.vex", kj_get_str(v, "vex")) < 0))
		return kerr_set(e, ENOMEM, "annotations");
	return 0;
}

int kapsel_scan_gate(const struct cli_call *c, const char *image, char ***ann, kerr *e)
{
	const struct kapsel_globals *g = c->globals;
	static const char *const keys[] = { "refuse_on", "max_data_age", "annotate", "vex", NULL };
	_cleanup_(kconf_freep) struct kconf *conf = NULL;
	if (kconf_load(g->config, true, &conf, e) < 0 || kconf_check(conf, "scan", keys, e) < 0)
		return -1;
	const char *on = kconf_get(conf, "scan", "refuse_on");
	const char *annotate = kconf_get(conf, "scan", "annotate");
	if (annotate && strcmp(annotate, "yes") && strcmp(annotate, "no"))
		return kerr_msg(e, EINVAL, "%s: [scan] annotate: \"%s\" is not yes or no", g->config, annotate);
	int sev = -1;
	if (on && strcmp(on, "none") && (sev = kscan_severity_from_name(on)) < 0)
		return kerr_msg(e, EINVAL, "%s: [scan] refuse_on: \"%s\" is not none, %s", g->config, on,
				"unknown, negligible, low, medium, high or critical");
	if (sev < 0 && !(annotate && !strcmp(annotate, "yes")))
		return 0;
	const char *why = sev >= 0 ? "[scan] refuse_on" : "[scan] annotate";
	char whybuf[64];
	snprintf(whybuf, sizeof(whybuf), "%s = %s", why, sev >= 0 ? on : "yes");
	int64_t max_age = 168LL * 3600 * 1000000000LL;
	const char *age = kconf_get(conf, "scan", "max_data_age");
	if (age && kconf_get_duration(conf, "scan", "max_data_age", &max_age, e) < 0)
		return -1;
	/* fail closed: without a verdict the image does not run */
	_cleanup_free_ char *dir = kstr_printf("%s/scan", g->root);
	struct kvuln_db *db;
	if (!dir)
		return kerr_set(e, ENOMEM, "scan");
	if (kvuln_db_open(dir, &db, e) < 0)
		return kerr_wrap(e, "image %s: %s needs the vulnerability index", image, whybuf);
	int64_t oldest = INT64_MAX;
	for (size_t i = 0; i < kvuln_db_nsources(db); i++) {
		struct kvuln_source src;
		kvuln_db_source(db, i, &src);
		oldest = src.date < oldest ? src.date : oldest;
	}
	if (max_age > 0 && time(NULL) - oldest > max_age / 1000000000LL) {
		kvuln_db_close(db);
		return kerr_msg(
			e, EPERM,
			"image %s: %s: the vulnerability data in %s is older than %s (run `kapsel scan db update`)",
			image, whybuf, dir, age ? age : "168h");
	}
	/* [scan] vex = FILE[, FILE...]: the operator's VEX documents, applied
	 * as `kapsel scan --vex` applies them */
	_cleanup_strv_ char **vexf = NULL;
	const char *vexs = kconf_get(conf, "scan", "vex");
	for (const char *p = vexs; p && *p;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *one = strndup(p, n);
		char *t = one;
		while (t && (*t == ' ' || *t == '\t'))
			t++;
		for (size_t l = t ? strlen(t) : 0; l && (t[l - 1] == ' ' || t[l - 1] == '\t'); l--)
			t[l - 1] = 0;
		if (!t || (*t && kstrv_add(&vexf, t) < 0)) {
			kvuln_db_close(db);
			return kerr_set(e, ENOMEM, "[scan] vex");
		}
		p += n + (p[n] == ',');
	}
	struct kscan_vex vex = { 0 };
	char vdig[KSHA256_DIGEST];
	if (vexf && vex_load(vexf, &vex, vdig, e) < 0) {
		kvuln_db_close(db);
		return kerr_wrap(e, "%s: [scan] vex", g->config);
	}
	_cleanup_json_ json_object *v = NULL;
	int r = scan_verdict(c, image, dir, db, &vex, vexf ? vdig : NULL, &v, e);
	kscan_vex_done(&vex);
	kvuln_db_close(db);
	if (r < 0)
		return kerr_wrap(e, "image %s: %s: no verdict", image, whybuf);
	/* the gate before anything is made: the same verdict the runtime's
	 * policy gets as annotations */
	const char *worst = kj_get_str(v, "worst");
	if (sev >= 0 && strcmp(worst, "none") && kscan_severity_from_name(worst) >= sev) {
		int64_t n = 0;
		for (int s = sev; s <= KSEV_CRITICAL; s++)
			n += kj_get_i64(kj_get(v, "counts"), kscan_severity_to_name(s), 0);
		char one[400];
		finding_text(one, sizeof(one), json_object_array_get_idx(kj_get(v, "findings"), 0));
		return kerr_msg(e, EPERM, "image %s refused by %s: %s%s%.0" PRId64 "%s", image, whybuf, one,
				n > 1 ? ", and " : "", n > 1 ? n - 1 : 0, n > 1 ? " more (kapsel scan IMAGE)" : "");
	}
	return verdict_annotations(v, ann, e);
}

const struct cli_command cmd_scan = {
	.name = "scan",
	.run = scan_run,
	.min_args = 0,
	.max_args = 2,
	.args = "[IMAGE | db update]",
	.summary = "list an image's packages, match known vulnerabilities, write SBOMs",
	.description =
		"Targets: IMAGE (in the store), --archive FILE, --rootfs DIR, --container NAME|ID, --sbom FILE.\n"
		"`kapsel scan db update --from FILE|DIR --url URL` compiles the vulnerability index.\n"
		"Exit status: 0 nothing actionable, 1 actionable findings at --fail-on, 2 usage error,\n"
		"3 no verdict (unreadable input, missing or stale data), 4 no package database (docs/scan.md).\n",
	CLI_CMD_OPTIONS(struct scan_args, scan_options),
	.defaults = &scan_defaults,
};
