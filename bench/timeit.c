/* timeit: runs a command repeatedly and reports, per run, its wall-clock time
 * and the CPU time (user + system) the child used, from wait4's rusage.
 * Medians of both are printed last. Used by bench/run.sh: wall time is the
 * headline figure; CPU time stays meaningful when other processes share the
 * machine (wall time then includes time spent waiting for a core).
 *
 * Usage: timeit RUNS WARMUP COMMAND [ARGS...]
 * Output (stdout): one line per measured run "run <wall_ms> <cpu_ms>", then
 * "median <wall_ms> <cpu_ms>". The command's stdout goes to /dev/null, its
 * stderr is kept. Exits 1 if any run fails. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv) { return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3; }

static int run_once(char **argv, double *wall, double *cpu) {
  double start = now_ms();
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    execvp(argv[0], argv);
    perror(argv[0]);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return -1;
  *wall = now_ms() - start;
  *cpu = tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "timeit: %s failed (status %d)\n", argv[0], status);
    return -1;
  }
  return 0;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: timeit RUNS WARMUP COMMAND [ARGS...]\n");
    return 2;
  }
  int runs = atoi(argv[1]), warmup = atoi(argv[2]);
  if (runs < 1 || warmup < 0) return 2;
  double *walls = calloc((size_t)runs, sizeof(double)), *cpus = calloc((size_t)runs, sizeof(double));
  if (!walls || !cpus) return 2;
  double w, c;
  for (int i = 0; i < warmup; i++)
    if (run_once(argv + 3, &w, &c) != 0) return 1;
  for (int i = 0; i < runs; i++) {
    if (run_once(argv + 3, &walls[i], &cpus[i]) != 0) return 1;
    printf("run %.3f %.3f\n", walls[i], cpus[i]);
  }
  printf("median %.3f %.3f\n", median(walls, runs), median(cpus, runs));
  return 0;
}
