/* sshx_int.h -- what the sshx_*.c files share (not for other modules).
 *
 * The session structure, the error-message helper and the channel
 * bookkeeping. sshx.c owns connecting, authenticating and closing;
 * sshx_exec.c runs commands and owns every channel it opens (see
 * sshx_retire_channel); sshx_sftp.c moves files and runs scripts.
 */
#ifndef CAIRN_SSHX_INT_H
#define CAIRN_SSHX_INT_H

#include "exec/sshx.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

/* A channel this module closed on its side whose CLOSE from the server has
 * not arrived yet (the command's output ended before its close, or it was
 * ended on a timeout or cancel). The session keeps it, with callbacks of its
 * own that drop late data and note the close, until the close arrives; then
 * it is freed (sshx_reap_channels). */
typedef struct sshx_closing {
    ssh_channel ch;
    struct ssh_channel_callbacks_struct cbs;
    bool closed;            /* the server's CLOSE arrived */
    struct sshx_closing *next;
} sshx_closing;

struct sshx_session {
    ssh_session ssh;        /* owned; NULL until sshx_connect creates it */
    sftp_session sftp;      /* owned; opened on first SFTP use, kept until close */
    bool ready;             /* authenticated and usable */
    int port;
    long timeout_s;         /* SSH_OPTIONS_TIMEOUT in effect */
    char host[256];         /* for messages */
    char fp[SSHX_FP_MAX];   /* "SHA256:…" once the handshake is done */
    char err[768];          /* last error message */
    sshx_closing *closing;  /* channels awaiting the server's CLOSE */
    size_t nclosing;
    size_t nrunning;        /* channels a call in progress has open (0 between calls) */
};

/* Hand over a channel that is done with: detach the caller's callbacks
 * (cbs, may be NULL) first, then free it when the server already closed
 * it, else close it on our side and keep it in s->closing until the
 * server's CLOSE arrives. Either way nothing of it outlives the session. */
void sshx_retire_channel(sshx_session *s, ssh_channel ch, struct ssh_channel_callbacks_struct *cbs,
                         bool server_closed);

/* Free the retired channels whose CLOSE has arrived (after packets were
 * processed by some wait on the session). Never waits. */
void sshx_reap_channels(sshx_session *s);

/* Free every retired channel, closed or not (before ssh_free). */
void sshx_drop_channels(sshx_session *s);

/* Set s->err from a printf format (truncated to fit). */
void sshx_set_error(sshx_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds on the monotonic clock. */
int64_t sshx_mono_ms(void);

#endif
