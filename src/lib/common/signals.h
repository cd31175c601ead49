/* Signal names: "TERM", "SIGTERM", "15", "RTMIN+3" -> number. */
#ifndef KAPSEL_SIGNALS_H
#define KAPSEL_SIGNALS_H

int ksignal_parse(const char *s);   /* -1 if unknown */
const char *ksignal_name(int sig);  /* "SIGTERM", NULL if unknown */

#endif
