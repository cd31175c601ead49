/* Fetching vulnerability data (fetch.h) with libcurl. */
#include "scan/fetch.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/str.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FETCH_MAX (1LL << 30)

/* https, or http to a loopback host. */
static int allowed(const char *url, kerr *e)
{
	if (!strncasecmp(url, "https://", 8))
		return 0;
	if (strncasecmp(url, "http://", 7))
		return kerr_msg(e, EINVAL, "%s: only https:// URLs (http:// to a loopback address)", url);
	CURLU *u = curl_url();
	char *host = NULL;
	int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
	int loop = ok && (!strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "[::1]"));
	curl_free(host);
	curl_url_cleanup(u);
	if (!ok)
		return kerr_msg(e, EINVAL, "%s: not a URL", url);
	if (!loop)
		return kerr_msg(e, EINVAL, "%s: plain http is only for loopback addresses; use https://", url);
	return 0;
}

struct hdrs {
	char etag[256];
};

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct hdrs *h = ud;
	size_t len = size * n;
	if (len > 5 && !strncasecmp(buf, "ETag:", 5)) {
		const char *v = buf + 5;
		size_t l = len - 5;
		while (l && (*v == ' ' || *v == '\t'))
			v++, l--;
		while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
			l--;
		if (l < sizeof(h->etag)) {
			memcpy(h->etag, v, l);
			h->etag[l] = 0;
		}
	}
	return len;
}

static int redirect_ok(CURL *c)
{
	char *where = NULL;
	return curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &where) != CURLE_OK || !where ||
	       allowed(where, &(kerr){ 0 }) == 0;
}

int kscan_fetch(const char *dir, const char *url, char **path, int64_t *date, int *changed, kerr *e)
{
	*path = NULL;
	*date = 0;
	*changed = 1;
	if (allowed(url, e) < 0)
		return -1;
	uint8_t sum[KSHA256_LEN];
	char hex[KSHA256_HEX];
	ksha256(url, strlen(url), sum);
	ksha256_hex(sum, hex);
	_cleanup_free_ char *srcdir = kstr_printf("%s/sources", dir);
	_cleanup_free_ char *file = kstr_printf("%s/sources/%s", dir, hex);
	_cleanup_free_ char *tmp = kstr_printf("%s/sources/%s.tmp", dir, hex);
	_cleanup_free_ char *state_path = kstr_printf("%s/http.json", dir);
	if (!srcdir || !file || !tmp || !state_path)
		return kerr_set(e, ENOMEM, "%s", url);
	if (kfs_mkdir_p(srcdir, 0755, e) < 0)
		return -1;
	/* what the last fetch of URL said */
	_cleanup_json_ json_object *state = NULL;
	_cleanup_free_ char *sbuf = NULL;
	size_t slen;
	if (kfs_read_file(state_path, &sbuf, &slen, e) == 0)
		state = kj_parse(state_path, sbuf, slen, e);
	if (!state || !json_object_is_type(state, json_type_object)) {
		json_object_put(state);
		state = json_object_new_object();
	}
	json_object *prev = kj_get(state, url);
	struct stat st;
	int have = prev && stat(file, &st) == 0;
	const char *etag = have ? kj_get_str(prev, "etag") : NULL;
	int64_t prev_date = have ? kj_get_i64(prev, "date", 0) : 0;

	CURL *c = curl_easy_init();
	if (!c)
		return kerr_set(e, ENOMEM, "%s", url);
	FILE *out = fopen(tmp, "we");
	if (!out) {
		curl_easy_cleanup(c);
		return kerr_errno(e, "create %s", tmp);
	}
	struct hdrs h = { "" };
	struct curl_slist *extra = NULL;
	_cleanup_free_ char *inm = etag && *etag ? kstr_printf("If-None-Match: %s", etag) : NULL;
	if (inm)
		extra = curl_slist_append(extra, inm);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FETCH_MAX);
	curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kapsel-scan");
	if (have && !inm && prev_date > 0) {
		curl_easy_setopt(c, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
		curl_easy_setopt(c, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)prev_date);
	}
	if (extra)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, extra);
	/* follow redirects by hand, so that each hop passes allowed() */
	CURLcode rc = CURLE_OK;
	long status = 0;
	for (int hop = 0;; hop++) {
		rc = curl_easy_perform(c);
		if (rc != CURLE_OK)
			break;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status < 300 || status >= 400 || status == 304)
			break;
		char *where = NULL;
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &where);
		if (!where || hop >= 5 || !redirect_ok(c)) {
			status = -status;
			break;
		}
		curl_easy_setopt(c, CURLOPT_URL, where);
		fflush(out);
		if (ftruncate(fileno(out), 0) < 0 || fseek(out, 0, SEEK_SET) < 0)
			break;
	}
	curl_off_t ft = -1;
	curl_easy_getinfo(c, CURLINFO_FILETIME_T, &ft);
	curl_slist_free_all(extra);
	curl_easy_cleanup(c);
	int werr = fclose(out);
	int r = -1;
	if (rc != CURLE_OK)
		kerr_msg(e, EIO, "GET %s: %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
	else if (status < 0)
		kerr_msg(e, EIO, "GET %s: redirect (HTTP %ld) refused: too many, or to a URL that is not https", url,
			 -status);
	else if (status == 304 && have)
		r = 0, *changed = 0;
	else if (status != 200)
		kerr_msg(e, EIO, "GET %s: HTTP %ld", url, status);
	else if (werr)
		kerr_errno(e, "write %s", tmp);
	else if (rename(tmp, file) < 0)
		kerr_errno(e, "rename %s", tmp);
	else
		r = 0;
	unlink(tmp);
	if (r < 0)
		return -1;
	*date = *changed ? (ft > 0 ? (int64_t)ft : 0) : prev_date;
	if (*changed) {
		json_object *x = json_object_new_object();
		json_object_object_add(x, "etag", json_object_new_string(h.etag));
		json_object_object_add(x, "date", json_object_new_int64(*date));
		json_object_object_add(x, "file", json_object_new_string(hex));
		json_object_object_add(state, url, x);
		const char *text = json_object_to_json_string_ext(state, JSON_C_TO_STRING_PRETTY);
		if (kfs_write_file(state_path, text, strlen(text), 0644, 1, e) < 0)
			return -1;
	}
	*path = steal_ptr(file);
	return 0;
}
