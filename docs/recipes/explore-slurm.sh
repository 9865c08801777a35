#!/bin/bash
# Submits a sharded `snnc explore` to Slurm: SHARDS array tasks, then the merge once all
# succeeded. Usage: MODEL=lenet.onnx SHARDS=4 OUT=$PWD/explore EXPLORE_ARGS="--bits 2..8" docs/recipes/explore-slurm.sh
set -euo pipefail
: "${MODEL:?set MODEL}" "${SHARDS:?set SHARDS}" "${OUT:?set OUT}"
here=$(cd "$(dirname "$0")" && pwd)
jid=$(sbatch --parsable --array="1-$SHARDS" --export=ALL "$here/explore-shard.sbatch")
sbatch --dependency="afterok:$jid" --export=ALL "$here/explore-merge.sbatch"
