// Preloaded into a benchmarked process: reports its peak resident set size on exit,
// worker threads included, in a line the bench script looks for on stderr.
process.on('exit', () => {
  process.stderr.write(`\nSGWATCH_BENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
