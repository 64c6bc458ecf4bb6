/* sshx_int.h -- what the sshx_*.c files share (not for other modules).
 *
 * The session structure and the error-message helper. sshx.c owns
 * connecting, authenticating and closing; sshx_exec.c runs commands;
 * sshx_sftp.c moves files and runs scripts.
 */
#ifndef CAIRN_SSHX_INT_H
#define CAIRN_SSHX_INT_H

#include "exec/sshx.h"

#include <libssh/libssh.h>
#include <libssh/sftp.h>

struct sshx_session {
    ssh_session ssh;        /* owned; NULL until sshx_connect creates it */
    sftp_session sftp;      /* owned; opened on first SFTP use, kept until close */
    bool ready;             /* authenticated and usable */
    int port;
    long timeout_s;         /* SSH_OPTIONS_TIMEOUT in effect */
    char host[256];         /* for messages */
    char fp[SSHX_FP_MAX];   /* "SHA256:…" once the handshake is done */
    char err[768];          /* last error message */
};

/* Set s->err from a printf format (truncated to fit). */
void sshx_set_error(sshx_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds on the monotonic clock. */
int64_t sshx_mono_ms(void);

#endif
