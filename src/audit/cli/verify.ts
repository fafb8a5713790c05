import { runCli } from './cli-support';
import { verifyCommand } from './verify-command';

runCli(async () => {
  const result = await verifyCommand(process.argv.slice(2), process.env, process.stdout);
  return result.valid ? 0 : 1;
});
