import { runCli } from './cli-support';
import { exportCommand } from './export-command';

runCli(async () => {
  await exportCommand(process.argv.slice(2), process.env, process.stdout);
  return 0;
});
