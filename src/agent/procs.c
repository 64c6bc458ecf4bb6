/* procs.c -- collector "procs": process count and uptime.
 *
 * Processes are the numeric entries of /proc (one getdents pass over a
 * directory kept open and rewound, no per-process file read); uptime is the
 * first number of /proc/uptime. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <dirent.h>
#include <string.h>

/* The /proc directory stays open between collections and is rewound, like
 * the files of pf_read_keep (one per root; single-threaded). */
static DIR *proc_dir;
static char proc_dir_path[1024];

static DIR *open_proc_dir(const char *path)
{
    if (proc_dir && strcmp(proc_dir_path, path) == 0) {
        rewinddir(proc_dir);
        return proc_dir;
    }
    if (proc_dir)
        closedir(proc_dir);
    proc_dir = opendir(path);
    if (proc_dir)
        pf_copy(proc_dir_path, sizeof proc_dir_path, path);
    return proc_dir;
}

int ag_coll_procs(ag_ctx *c)
{
    ag_sample *m = c->m;
    char path[1024];
    int rc = -1;
    if (pf_path(c->root, "/proc", path, sizeof path) == 0) {
        DIR *d = open_proc_dir(path);
        if (d) {
            struct dirent *e;
            uint64_t n = 0;
            while ((e = readdir(d)))
                if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
                    n++;
            m->processes = n;
            m->have |= AG_HAVE_PROCS;
            rc = 0;
        }
    }
    char b[128];
    if (pf_read_keep(c->root, "/proc/uptime", b, sizeof b, NULL) > 0 && pf_double(b, &m->uptime)) {
        m->have |= AG_HAVE_UPTIME;
        rc = 0;
    }
    return rc;
}

void ag_procs_close(void)
{
    if (proc_dir)
        closedir(proc_dir);
    proc_dir = NULL;
}
