import { AuditWriter } from '../audit-writer.service';
import { ChainVerification, ChainVerifier } from '../chain/chain-verifier';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { CliOutput, parseRangeOptions, withDatabase } from './cli-support';

/**
 * `npm run audit:verify [-- --from <iso> --to <iso>]`: prints the verdict as JSON and exits 0
 * when the chain holds, 1 when it is broken. The verification is itself recorded.
 */
export async function verifyCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
): Promise<ChainVerification> {
  const range = parseRangeOptions(argv, {});
  return withDatabase(env, async ({ config, dataSource, actor }) => {
    const verifier = new ChainVerifier(new CheckpointSigner(config.audit.signingKeyPem));
    const result = await verifier.verify(dataSource.manager, range);
    await new AuditWriter(dataSource).recordAlone({
      action: 'audit.verified',
      resource: { type: 'audit_log', id: null },
      actor,
      metadata: { from: range.from ?? null, to: range.to ?? null, via: 'cli', ...result },
    });
    output.write(`${JSON.stringify(result)}\n`);
    return result;
  });
}
