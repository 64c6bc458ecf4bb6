/* sshpool.h -- idle SSH sessions kept for the next job on the same host.
 *
 * Opening an SSH session costs a TCP handshake, a key exchange and an
 * authentication on both ends; running a command on an open session costs a
 * channel. A job hands its sessions back when it is done with a host, and
 * the next job on that host (with the same address, port, user, credential
 * version and pinned host key: the pool key) takes the session instead of
 * connecting again. Sessions idle longer than SSHPOOL_IDLE_SECONDS are
 * closed by sshpool_sweep(); the pool never holds more than SSHPOOL_MAX.
 * A session is used by one thread at a time: get() removes it from the pool.
 */
#ifndef CAIRN_SSHPOOL_H
#define CAIRN_SSHPOOL_H

#include "exec/sshx.h"

#include <stddef.h>

#define SSHPOOL_IDLE_SECONDS 60
#define SSHPOOL_MAX 256

/* Take an idle session for key, or NULL. */
sshx_session *sshpool_get(const char *key);

/* Give a healthy session back for key (the pool may close it instead). */
void sshpool_put(const char *key, sshx_session *s);

/* Close sessions idle too long (all of them when everything is true). */
void sshpool_sweep(bool everything);

#endif
