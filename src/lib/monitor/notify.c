/* Alert notifications to an Alertmanager (alerts.h): one POST of the
 * alerts JSON to URL/api/v2/alerts with libcurl. */
#include "monitor/alerts.h"

#include "common/str.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

int kmon_alerts_post(const char *url, const char *body, kerr *e)
{
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	char *full = kstr_printf("%.*s/api/v2/alerts", (int)n, url);
	CURL *c = full ? curl_easy_init() : NULL;
	struct curl_slist *h = c ? curl_slist_append(NULL, "Content-Type: application/json") : NULL;
	if (!h) {
		if (c)
			curl_easy_cleanup(c);
		free(full);
		return kerr_set(e, ENOMEM, "alertmanager %s", url);
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	int r = 0;
	if (rc != CURLE_OK)
		r = kerr_msg(e, EIO, "alertmanager %s: %s", full, *errbuf ? errbuf : curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		r = kerr_msg(e, EIO, "alertmanager %s: HTTP %ld", full, status);
	free(full);
	return r;
}
