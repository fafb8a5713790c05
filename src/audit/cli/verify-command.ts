import { AuditChainRepository } from '../chain/audit-chain.repository';
import { ChainVerification, ChainVerifier } from '../chain/chain-verifier';
import { CheckpointAnchors, readAnchorFile } from '../chain/checkpoint-anchors';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { auditWriterOn, CliOutput, parseRangeOptions, withDatabase } from './cli-support';

/**
 * `npm run audit:verify [-- --from <iso> --to <iso>] [--anchors <file>]`: prints the verdict as
 * JSON and exits 0 when the chain holds, 1 when it is broken. The chain is checked against the
 * anchors in `<file>` (a copy of the anchor file kept away from the server), else against those
 * under AUDIT_ANCHOR_DIR. The verification is itself recorded.
 */
export async function verifyCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
): Promise<ChainVerification> {
  const options = parseRangeOptions(argv, { anchors: { type: 'string' } });
  const range = { from: options.from, to: options.to };
  return withDatabase(env, async ({ config, dataSource, actor }) => {
    const anchors = options.anchors
      ? await readAnchorFile(options.anchors)
      : await new CheckpointAnchors(config.audit.anchorDir).readAll();
    const verifier = new ChainVerifier(
      new CheckpointSigner(config.audit.signingKeyPem),
      new AuditChainRepository(),
    );
    const result = await verifier.verify(dataSource.manager, range, anchors);
    await auditWriterOn(dataSource).recordAlone({
      action: 'audit.verified',
      resource: { type: 'audit_log', id: null },
      actor,
      metadata: { from: range.from ?? null, to: range.to ?? null, via: 'cli', ...result },
    });
    output.write(`${JSON.stringify(result)}\n`);
    return result;
  });
}
