/* MPI_COMM_WORLD behind a tn_comm (mpi_comm.h). Without TN_MPI this is the
 * single-process default, and mpi.h is not needed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef TN_MPI
#include <limits.h>
#include <mpi.h>
#endif

#include "mpi_comm.h"

/* The size a launcher gave this process in its environment, 0 if none. */
static int launched_size(void) {
  const char *keys[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    const char *v = getenv(keys[k]);
    if (v && atoi(v) > 0) return atoi(v);
  }
  return getenv("PMIX_RANK") ? 1 : 0;
}

#ifdef TN_MPI
/* Reduce to rank 0, then broadcast: every rank gets rank 0's bits, which
 * MPI_Allreduce does not promise (tn_comm's contract). */
static int world_allreduce_sum(void *user, double *x, size_t n) {
  (void)user;
  if (n > INT_MAX) return 1;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (MPI_Reduce(rank == 0 ? MPI_IN_PLACE : x, x, (int)n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD) !=
      MPI_SUCCESS)
    return 1;
  return MPI_Bcast(x, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS;
}

/* Ranks above 0 keep quiet: stdout to /dev/null, stderr held in a file. */
static void quiet(cli_mpi *m) {
  fflush(stdout);
  fflush(stderr);
  if (!freopen("/dev/null", "w", stdout)) return;
  m->held = tmpfile();
  m->saved_stderr = m->held ? dup(STDERR_FILENO) : -1;
  if (m->saved_stderr < 0 || dup2(fileno(m->held), STDERR_FILENO) < 0) {
    if (m->saved_stderr >= 0) close(m->saved_stderr);
    if (m->held) fclose(m->held);
    m->held = NULL;
    m->saved_stderr = -1;
  }
}

/* The held stderr of a failed rank, each line prefixed, on the real one. */
static void show_held(cli_mpi *m) {
  fflush(stderr);
  dup2(m->saved_stderr, STDERR_FILENO);
  rewind(m->held);
  char line[1024];
  int start = 1;
  while (fgets(line, sizeof line, m->held)) {
    if (start) fprintf(stderr, "rank %d: ", m->comm.rank);
    fputs(line, stderr);
    start = strchr(line, '\n') != NULL;
  }
  fflush(stderr);
}
#endif

int cli_mpi_start(cli_mpi *m, const char *command) {
  memset(m, 0, sizeof *m);
  m->comm = tn_comm_single();
  m->local_size = 1;
  m->saved_stderr = -1;
  int size = launched_size();
#ifdef TN_MPI
  if (size == 0) return 1;
  if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
    fprintf(stderr, "%s: MPI_Init failed\n", command);
    return 0;
  }
  m->active = 1;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &m->comm.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &m->comm.size);
  MPI_Comm node;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
      MPI_SUCCESS) {
    MPI_Comm_size(node, &m->local_size);
    MPI_Comm_free(&node);
  }
  if (m->comm.size > 1) m->comm.allreduce_sum = world_allreduce_sum;
  if (m->comm.rank > 0) quiet(m);
  return 1;
#else
  if (size > 1) {
    fprintf(stderr,
            "%s: started as one of %d ranks, but this tanne was built without MPI (install "
            "libopenmpi-dev and rebuild); every rank would train alone into the same folder\n",
            command, size);
    return 0;
  }
  return 1;
#endif
}

int cli_mpi_agree(cli_mpi *m, int ok) {
  if (m->comm.size == 1) return ok;
  /* [ranks that failed, whether rank 0 failed] */
  double x[2] = {ok ? 0.0 : 1.0, m->comm.rank == 0 && !ok ? 1.0 : 0.0};
  if (m->comm.allreduce_sum(m->comm.user, x, 2) != 0) {
    fprintf(stderr, "rank %d: the ranks could not agree to start\n", m->comm.rank);
    return 0;
  }
  m->rank0_failed = x[1] > 0;
  if (ok && x[0] > 0 && m->comm.rank == 0)
    fprintf(stderr, "%d of the %d ranks failed to start (their messages follow)\n", (int)x[0],
            m->comm.size);
  return x[0] == 0;
}

void cli_mpi_threads(const cli_mpi *m, int threads) {
#ifdef _OPENMP
  if (m->local_size <= 1 || threads > 0 || getenv("OMP_NUM_THREADS")) return;
  /* A rank bound to fewer cores than the node has (mpirun binds to cores
   * by default) uses those; an unbound one takes its share of the node. */
  int procs = omp_get_num_procs();
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  int n = online > 0 && procs < online ? procs : (int)(online / m->local_size);
  omp_set_num_threads(n > 0 ? n : 1);
#else
  (void)m;
  (void)threads;
#endif
}

int cli_mpi_finish(cli_mpi *m, int status, int abort_job) {
#ifdef TN_MPI
  if (m->held) {
    if (status != 0 && !m->rank0_failed) show_held(m);
    fclose(m->held);
    m->held = NULL;
    if (m->saved_stderr >= 0) close(m->saved_stderr);
    m->saved_stderr = -1;
  }
  if (!m->active) return status;
  m->active = 0;
  if (status != 0 && abort_job && m->comm.size > 1) MPI_Abort(MPI_COMM_WORLD, status);
  MPI_Finalize();
#else
  (void)m;
  (void)abort_job;
#endif
  return status;
}

const char *cli_mpi_help(void) {
#ifdef TN_MPI
  return "Parallel: mpirun -np R tanne train CONFIG.yaml splits every batch over R\n"
         "ranks and averages their gradients (the same model as one rank, up to\n"
         "float round-off); only rank 0 prints and writes files. Each rank uses\n"
         "train.threads OpenMP threads, by default its share of the node's cores.\n"
         "This build has MPI.\n";
#else
  return "Parallel: mpirun -np R tanne train CONFIG.yaml splits every batch over R\n"
         "ranks, in a build with MPI (Open MPI found at build time).\n"
         "This build has no MPI: it runs as one process.\n";
#endif
}
