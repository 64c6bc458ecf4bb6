/* treerun.c -- run a command and measure its whole process tree.
 *
 *   treerun OUTFILE CMD [ARG...]
 *
 * Becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so processes
 * that the command leaves behind or daemonizes (Ansible's ssh ControlPersist
 * masters, for one) are re-parented here instead of to init. Every 100 ms it
 * walks the tree under itself (ppid links read from /proc) and sums the
 * RSS of all its processes. When the command exits, whatever it left
 * running is sent SIGTERM (SIGKILL after 2 s) and reaped, so that the CPU
 * time of every process of the tree ends up in getrusage(RUSAGE_CHILDREN).
 *
 * Writes one line to OUTFILE:
 *   wall=S user=S sys=S maxrss_kb=N tree_rss_peak_kb=N procs_peak=N leftover=N rc=N
 * wall: start to the command's exit; user/sys: CPU of the whole tree
 * (children, grandchildren, adopted orphans); maxrss_kb: the largest single
 * process (ru_maxrss); tree_rss_peak_kb: the largest sampled sum of RSS
 * over the tree (shared pages counted once per process, an upper bound);
 * procs_peak: most processes seen at once; leftover: processes still alive
 * when the command exited. Exit status: the command's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 8192

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long page_kb;
static pid_t seen[MAXP];
static int nseen;

static long rss_kb(pid_t pid)
{
    char p[64];
    long size = 0, res = 0;
    snprintf(p, sizeof p, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = 0;
    fclose(f);
    return res * page_kb;
}

/* All descendants of this process: one pass over /proc for (pid, ppid),
 * then the closure under getpid() (/proc/PID/task/TID/children is not in
 * every kernel). */
static pid_t all_pid[MAXP * 4], all_ppid[MAXP * 4];

static int tree(pid_t *out, int cap)
{
    int m = 0, n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && m < MAXP * 4) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char p[64], buf[512];
        snprintf(p, sizeof p, "/proc/%ld/stat", pid);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *rp = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
        int ppid;
        char state;
        if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
            continue;
        all_pid[m] = (pid_t)pid;
        all_ppid[m++] = ppid;
    }
    closedir(d);
    pid_t me = getpid();
    for (int i = 0; i < m && n < cap; i++)
        if (all_ppid[i] == me)
            out[n++] = all_pid[i];
    for (int k = 0; k < n; k++)
        for (int i = 0; i < m && n < cap; i++)
            if (all_ppid[i] == out[k])
                out[n++] = all_pid[i];
    return n;
}

static void note_seen(pid_t p)
{
    for (int i = 0; i < nseen; i++)
        if (seen[i] == p)
            return;
    if (nseen < MAXP)
        seen[nseen++] = p;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: treerun OUTFILE CMD [ARG...]\n");
        return 2;
    }
    page_kb = sysconf(_SC_PAGESIZE) / 1024;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        perror("treerun: PR_SET_CHILD_SUBREAPER");
    double t0 = mono(), wall = -1;
    pid_t main_pid = fork();
    if (main_pid < 0) {
        perror("treerun: fork");
        return 2;
    }
    if (main_pid == 0) {
        execvp(argv[2], argv + 2);
        perror("treerun: exec");
        _exit(127);
    }
    static pid_t pids[MAXP];
    long peak = 0;
    int procs_peak = 0, rc = -1, leftover = 0;
    for (;;) {
        int st;
        pid_t w;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == main_pid) {
                wall = mono() - t0;
                rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
        if (wall >= 0)
            break;
        int n = tree(pids, MAXP);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += rss_kb(pids[i]);
            note_seen(pids[i]);
        }
        if (sum > peak)
            peak = sum;
        if (n > procs_peak)
            procs_peak = n;
        usleep(100000);
    }
    /* What the command left running (daemonized helpers) ends with it. */
    int n = tree(pids, MAXP);
    leftover = n;
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    double until = mono() + 2.0;
    while (mono() < until) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (tree(pids, MAXP) == 0)
            break;
        usleep(20000);
    }
    n = tree(pids, MAXP);
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    FILE *o = fopen(argv[1], "w");
    if (!o) {
        perror(argv[1]);
        return 2;
    }
    fprintf(o, "wall=%.3f user=%.3f sys=%.3f maxrss_kb=%ld tree_rss_peak_kb=%ld procs_peak=%d procs_seen=%d "
               "leftover=%d rc=%d\n",
            wall, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, peak, procs_peak, nseen,
            leftover, rc);
    fclose(o);
    return rc;
}
