/* IPv4 and IPv6 networks and addresses (cidr.h). */
#include "cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* "a.b.c.d/n" with no host bits set; host byte order. */
int keng_cidr4_parse(const char *s, uint32_t *base, int *prefix)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = 0;
	struct in_addr a;
	char *end;
	long n = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || end == slash + 1 || *end || n < 8 || n > 30)
		return -1;
	uint32_t b = ntohl(a.s_addr), mask = n ? ~0u << (32 - n) : 0;
	if (b & ~mask)
		return -1;
	*base = b;
	*prefix = (int)n;
	return 0;
}

void keng_ip4_str(uint32_t ip, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = htonl(ip) };
	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

bool keng_cidr4_overlap(uint32_t a, int pa, uint32_t b, int pb)
{
	int p = pa < pb ? pa : pb;
	uint32_t mask = ~0u << (32 - p);
	return (a & mask) == (b & mask);
}

/* "x:y::/n" with no host bits set, N from 16 to 124. */
int keng_cidr6_parse(const char *s, uint8_t base[16], int *prefix)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = 0;
	char *end;
	long n = strtol(slash + 1, &end, 10);
	struct in6_addr a;
	if (inet_pton(AF_INET6, ip, &a) != 1 || end == slash + 1 || *end || n < 16 || n > 124)
		return -1;
	for (int bit = (int)n; bit < 128; bit++)
		if (a.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			return -1;
	memcpy(base, a.s6_addr, 16);
	*prefix = (int)n;
	return 0;
}

bool keng_cidr6_contains(const uint8_t base[16], int prefix, const uint8_t ip[16])
{
	for (int bit = 0; bit < prefix; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		if ((base[bit / 8] & m) != (ip[bit / 8] & m))
			return false;
	}
	return true;
}

bool keng_cidr6_overlap(const uint8_t a[16], int pa, const uint8_t b[16], int pb)
{
	return keng_cidr6_contains(a, pa < pb ? pa : pb, b);
}
