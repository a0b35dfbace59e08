#!/usr/bin/env bash
# Grade a class on a Slurm cluster: one array task per submission, then one
# job that merges the results into the gradebook.
#
#   export CLASS=/path/to/submissions OUT=/path/to/results
#   n=$(find "$CLASS" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)
#   job=$(sbatch --parsable --array=0-$((n - 1)) crates/grader/jobs/slurm-array.sh)
#   sbatch --dependency=afterany:$job --wrap "./dl gradebook $OUT"
#
# Submit from the instructor's workspace (the reference, after `./dl setup`).
# Task K grades the K-th entry of CLASS in name order, the same order and the
# same student names as `./dl grade --class`, into OUT/students/<student>/.
# A task whose submission did not change since an earlier run skips it.
#SBATCH --job-name=dl-grade
#SBATCH --cpus-per-task=2
#SBATCH --mem=16G
#SBATCH --time=00:30:00
#SBATCH --output=dl-grade-%A_%a.log
set -euo pipefail
: "${CLASS:?set CLASS to the folder of submissions}"
: "${OUT:?set OUT to the folder for the results}"
: "${SLURM_ARRAY_TASK_ID:?submit this script with sbatch --array=0-<n-1>}"
cd "${SLURM_SUBMIT_DIR:-.}"
exec ./dl grade --class "$CLASS" --index "$SLURM_ARRAY_TASK_ID" --out "$OUT"
