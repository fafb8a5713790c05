// Usage: node test/bench/profile-summary.mjs <file.cpuprofile> [top]
// Summarises a CPU profile from `node --cpu-prof` or from `BENCH_PROFILE=1 npm run bench`.
import { summariseProfile } from './lib/profile.mjs';

const [file, top = '20'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node test/bench/profile-summary.mjs <file.cpuprofile> [top]\n');
  process.exit(1);
}
process.stdout.write(`${summariseProfile(file, Number(top))}\n`);
