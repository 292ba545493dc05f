/*
 * audit.h - the audit stream: one JSON object per line (schema version
 * AUDIT_VERSION, documented in mscep(8)) for every issuance, refusal,
 * hold, revocation, approval, denial, password handed out and mscep-admin
 * command, sent to
 * syslog (a datagram to the syslog socket, tag "mscep-audit") or
 * appended to a file with one write(2) per line, so that lines from
 * several processes never interleave.
 */
#ifndef MSCEP_AUDIT_H
#define MSCEP_AUDIT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define AUDIT_VERSION	1
#define AUDIT_TAG	"mscep-audit"
/* Longest text kept of one field, in bytes (cut on a UTF-8 boundary):
 * a line stays well under what syslog daemons take (8 KiB). */
#define AUDIT_FIELD_MAX	1024
#define AUDIT_ARGV_MAX	24

enum audit_dest { AUDIT_SYSLOG, AUDIT_FILE, AUDIT_OFF };

/* Where the lines go: [Audit] Target and Facility. */
struct audit_sink {
	enum audit_dest	 dest;
	char		 path[PATH_MAX];	/* AUDIT_FILE: absolute */
	int		 facility;		/* syslog(3)'s LOG_AUTHPRIV... */
};

/* "syslog", "off" or "file:/absolute/path" into sink (facility kept);
 * -1 and why otherwise. */
int	 audit_sink_parse(const char *spec, struct audit_sink *, char *why,
	    size_t);

/* Who ran mscep-admin: the real user, and the one sudo names. */
struct audit_actor {
	uid_t		 uid;
	char		 user[64];		/* "" : no passwd entry */
	char		 sudo_user[64];		/* SUDO_USER, "" : unset */
};
void	 audit_actor_self(struct audit_actor *);

/*
 * One event. NULL strings and negative numbers are left out of the line.
 * actor NULL: a SCEP client did it (its address is requester), or the
 * password page's web_user.
 */
struct audit_event {
	const char		*event;	/* issued, refused, held, revoked,
					   approved, denied, password,
					   password-refused, command */
	const char		*program;	/* mscep, mscep-admin */
	const char		*message_type;	/* PKCSReq, RenewalReq... */
	const char		*txid;
	const char		*serial;
	const char		*subject;
	const char		*template_name;
	const char		*policy;
	const char		*fail_info;
	const char		*code;		/* event reason code */
	const char		*reason;
	const char		*device_id;
	const char		*requester;	/* client address */
	const char		*revocation_reason;
	const char		*selector;	/* revoke --device ID ... */
	long long		 count;		/* revoked by a selector */
	long long		 request_id;	/* approve, deny */
	const struct audit_actor *actor;
	const char		*web_user;	/* actor NULL: a user the web
						   server authenticated */
	const char		*command;	/* mscep-admin's subcommand */
	int			 argc;
	char *const		*argv;		/* secrets already removed */
	int			 exit_code;	/* command: its exit status */
};
/* An event with every field absent. */
void	 audit_event_init(struct audit_event *, const char *event,
	    const char *program);

/* path opened to append (created 0640 if missing, with its folder's
 * owner when root creates it); -1 with errno set. */
int	 audit_open_file(const char *path);
/* The line (JSON, no newline) for e at time t (epoch ms); the caller
 * frees it. NULL when out of memory. */
char	*audit_line(const struct audit_event *, long long t_ms);
/*
 * Builds the line and sends it to sink (socket: the syslog datagram
 * socket). 0, or -1 and why: the caller decides where the undelivered
 * line goes (audit_fallback).
 */
int	 audit_emit(const struct audit_sink *, const char *socket,
	    const struct audit_event *, char *why, size_t);
/* An undelivered event: its line on stderr after why, never lost. */
void	 audit_fallback(const struct audit_event *, const char *why);

#endif
