export const PG_USAGE = `Usage: node --import tsx bench/postgres-logical.ts [options]
  --rows N          rows per sysbench table of the main run (default 1000000); the smaller run gets N/4
  --sizes A,B       rows per sysbench table of each run, overrides --rows (e.g. 250000,1000000); the largest is the main run
                    (pgbench -i runs at the smallest scale whose pgbench_accounts is at least that many rows)
  --tables N        sysbench tables (default 4)
  --workers N       jobs for pg_dump -j, pg_restore -j, sysbench prepare and ours (default: number of cores)
  --chunk-rows N    passed to our backup (default: its own chunking)
  --all-peers       run pg_dump -Fp, pg_dump -Fc and psql at every size, not only the main one
  --help`;
