#!/bin/bash
#SBATCH --job-name=wenig-shd.cpu.qif-exact.search.9f86d081884c7d65-1a2b3c4d
#SBATCH --array=0-99
#SBATCH --partition=compute
#SBATCH --time=04:00:00
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --account=snn-lab
#SBATCH --output=logs/%x-%A_%a.out
#
# Written by `snn cluster submit`. Each array task is one worker: it claims queued
# trials of the study from the registry until none is left. A task that dies stops
# sending heartbeats; its trial goes back to the queue (up to the study's attempt limit).
set -euo pipefail
# One thread per allocated core (Slurm allocates one when --cpus-per-task is not set).
export SNN_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
srun '/opt/snn toolkit/bin/snn-shd' worker wenig-shd.cpu.qif-exact.search.9f86d081884c7d65-1a2b3c4d --preset cpu --set 'data.trainFile=/data/it'\''s/train.h5' --set 'model.note=$HOME costs "$5"' --set 'model.comment=`date` !x' --set training.tag= --output-dir runs/cpu --registry postgres://snn@db.example.org/runs
