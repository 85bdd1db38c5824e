#!/bin/sh
# A Slurm batch job running parlab's mpi model over its allocation (docs/cluster.md):
#
#   sbatch -N 2 --ntasks-per-node=2 --wait scripts/slurm_job.sh
#
# Open MPI reads the allocation (nodes and slots) from Slurm's environment, so parlab needs no
# hostfile; it runs on the allocation's first node, where rank 0 runs too. PARLAB (the binary,
# default: parlab on PATH) and PARLAB_ARGS (default: a cpu run of mpi with 3 workers and a
# timeline) come from the submitting shell, which sbatch passes on.
#SBATCH --job-name=parlab-mpi
#SBATCH --output=parlab-mpi-%j.out
echo "job $SLURM_JOB_ID on $(hostname): nodes $SLURM_JOB_NODELIST, tasks per node $SLURM_TASKS_PER_NODE"
# shellcheck disable=SC2086 # the arguments are meant to split
exec "${PARLAB:-parlab}" ${PARLAB_ARGS:-run -w cpu -e mpi -j 3 -r 1 --no-baseline --timeline}
