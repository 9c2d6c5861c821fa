/* MPI for the training commands: `mpirun -np R tanne train CONFIG.yaml`
 * trains one model on R ranks (tn_comm in tanne.h). Built with MPI when the
 * Makefile finds Open MPI (TN_MPI=1, this file's cli/mpi_comm.c is the only
 * one that includes mpi.h); without it every run is one process, and a
 * launch by mpirun with more than one rank is refused. MPI is initialised
 * only when a launcher started the process (OMPI_COMM_WORLD_SIZE, PMI_SIZE
 * or PMIX_RANK is set), so a plain `tanne train` is one rank without MPI.
 *
 * Ranks above 0 are quiet: their stdout goes to /dev/null and their stderr
 * is held in a temporary file, shown (prefixed "rank N:") only when that
 * rank fails and rank 0 did not. */
#ifndef TN_CLI_MPI_COMM_H
#define TN_CLI_MPI_COMM_H

#include <stdio.h>

#include "tanne.h"

typedef struct cli_mpi {
  tn_comm comm;     /* rank 0 of 1 unless MPI is active */
  int active;       /* MPI_Init was called (MPI_Finalize or MPI_Abort is owed) */
  int local_size;   /* ranks on this node */
  int saved_stderr; /* ranks > 0: the real stderr's descriptor, else -1 */
  FILE *held;       /* ranks > 0: what they wrote to stderr */
  int rank0_failed; /* cli_mpi_agree saw rank 0 fail */
} cli_mpi;

/* Joins the job, if one launched this process. 0 after a message (MPI
 * failed to start, or a multi-rank launch of a build without MPI). */
int cli_mpi_start(cli_mpi *m, const char *command);
/* Every rank's ok, combined: 1 when all ranks are ready to train. Every
 * rank must call it once, before tn_trainer_run. */
int cli_mpi_agree(cli_mpi *m, int ok);
/* With more than one rank on this node, and neither train.threads (given
 * as threads) nor OMP_NUM_THREADS set: the OpenMP threads of each rank, so
 * that the node's cores are shared out and not oversubscribed. */
void cli_mpi_threads(const cli_mpi *m, int threads);
/* Leaves the job and returns status. abort_job: this rank failed where the
 * others may wait for it in a collective (a failed tn_trainer_run), so the
 * job is ended with MPI_Abort. */
int cli_mpi_finish(cli_mpi *m, int status, int abort_job);
/* One line for --help: how to run in parallel, and whether this build can. */
const char *cli_mpi_help(void);

#endif
