/**
 * `npm run bench [-- SCENARIO… --size smoke|quick|full --out DIR --profile]`:
 * starts what it needs (API processes, workers, an SMTP server; PostgreSQL
 * and Redis are the machine's) and writes bench/results/<date>.{json,md,svg}.
 * `--profile` runs the API and workers under `node --cpu-prof` and adds
 * their flame graphs to the report (the figures then carry its overhead).
 */
import { parseArgs } from 'node:util';
import { runBench, scenarios } from './run-bench.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: 'full' },
    out: { type: 'string', default: 'bench/results' },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`npm run bench -- [${scenarios.map((s) => s.name).join(' ')}] [--size smoke|quick|full] [--out DIR] [--profile]`);
  process.exit(0);
}
const size = values.size as string;
if (!['smoke', 'quick', 'full'].includes(size)) {
  console.error(`--size must be smoke, quick or full, not ${size}`);
  process.exit(2);
}
const { run, report } = await runBench({
  names: positionals,
  size: size as 'smoke' | 'quick' | 'full',
  outDir: values.out as string,
  profile: values.profile === true,
  command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
});
console.log(`report: ${report}`);
process.exit(run.scenarios.some((s) => s.error) ? 1 : 0);
