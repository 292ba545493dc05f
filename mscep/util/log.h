/* log.h - one place where mscep writes what happened; never secrets. */
#ifndef MSCEP_LOG_H
#define MSCEP_LOG_H

enum log_dest { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* socket_path: syslog's datagram socket (NULL: /dev/log). */
void	 log_open(enum log_dest, const char *ident, const char *socket_path);
void	 log_info(const char *, ...) __attribute__((format(__printf__, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(__printf__, 1, 2)));
void	 log_errx(const char *, ...) __attribute__((format(__printf__, 1, 2)));
/* Drains the OpenSSL error queue into the log so no error leaks into the next request. */
void	 log_openssl(const char *what);
/* Drains the OpenSSL error queue into reason text (first error only). */
void	 log_openssl_reason(char *, unsigned long size, const char *what);

/* Copies untrusted text for a log line: printable ASCII only, bounded. */
const char *log_safe(const char *, char *, unsigned long size);

#endif
