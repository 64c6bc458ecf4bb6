/* library_git_int.h -- what library_git.c, library_gitread.c,
 * library_gitrun.c and library_gitnet.c share. */
#ifndef CAIRN_LIBRARY_GIT_INT_H
#define CAIRN_LIBRARY_GIT_INT_H

#include "jobs/library_git.h"

#include <git2.h>

/* The host check of one fetch: set on the fetch thread for as long as it
 * calls libgit2 (lgit_net_guard()); every connection libgit2 opens is then
 * checked against hosts (library_gitnet.c), and a refusal sets refused and
 * why ("git host … is not allowed: …"). */
typedef struct {
    const hostallow_list *hosts; /* NULL: the default list */
    bool refused;
    char why[600]; /* a host name (at most 253) and a reason (at most 199) fit */
} lgit_guard;

/* Make every plain socket libgit2 opens (git://, ssh, and the one under
 * https) a checked one. Once per process, after git_libgit2_init(); 0, or
 * -1 when this libgit2 cannot be used that way (see library_gitnet.c). */
int lgit_net_register(void);

/* Set the calling thread's guard (NULL: none; connections are then
 * refused). The guard is borrowed until it is replaced or cleared. */
void lgit_net_guard(lgit_guard *g);

/* Write the message (printf-style) and field into out; return st. The
 * message is cleaned of control and non-ASCII bytes. */
lgit_status lgit_fail(lgit_result *out, lgit_status st, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Replace control and non-ASCII bytes of s with '?', in place. */
void lgit_clean(char *s);

/* The fetch of lgit_fetch(), run on the calling thread once the text checks
 * passed and libgit2 is initialised; `deadline` is on util_mono_ms()'s
 * clock, the same one the waiting thread uses before it sends its signal. */
lgit_status lgit_fetch_now(const lgit_source *s, double deadline, lgit_result *out);

/* Read `path` of `tree`: one file's text, or (directory) every file under it
 * as a JSON object {"rel/path": "text"}, into out->content (malloc'd). */
lgit_status lgit_read(git_repository *repo, git_tree *tree, const char *path, bool directory, lgit_result *out);

#endif
