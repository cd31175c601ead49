/* IPv4 and IPv6 networks (CIDR) of kapsel's networks: parsed, printed,
 * compared. */
#ifndef KAPSEL_ENGINE_CIDR_H
#define KAPSEL_ENGINE_CIDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* "a.b.c.d/n" (n 8..30) with no host bits set: *BASE in host byte order. */
int keng_cidr4_parse(const char *s, uint32_t *base, int *prefix);
void keng_ip4_str(uint32_t ip, char out[INET_ADDRSTRLEN]);
bool keng_cidr4_overlap(uint32_t a, int pa, uint32_t b, int pb);
/* "x:y::/n" (n 16..124) with no host bits set. */
int keng_cidr6_parse(const char *s, uint8_t base[16], int *prefix);
/* IP is in BASE/PREFIX. */
bool keng_cidr6_contains(const uint8_t base[16], int prefix, const uint8_t ip[16]);
bool keng_cidr6_overlap(const uint8_t a[16], int pa, const uint8_t b[16], int pb);

#endif
