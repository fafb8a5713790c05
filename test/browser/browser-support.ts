import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { authenticator } from 'otplib';
import { Browser, chromium, Page } from 'playwright-core';
import { Client, Session } from '../support/factories';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * The README's pictures are rewritten only when asked (`npm run screenshots`); other runs take
 * them all the same, into a scratch folder, so that a test run leaves the tree as it was.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(__dirname, '..', '..', 'docs', 'screenshots')
  : join(tmpdir(), 'bastion-screenshots');
const STEP_MS = 30_000;

export async function launchChromium(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * A valid code for `secret` that was not sent before. The server accepts the previous, current
 * and next 30-second step, and each code only once.
 */
export function freshCode(secret: string, used: Set<string>): string {
  for (const offset of [0, 1, -1]) {
    const code = authenticator.clone({ epoch: Date.now() + offset * STEP_MS }).generate(secret);
    if (!used.has(code)) {
      used.add(code);
      return code;
    }
  }
  throw new Error('No unused code in the accepted window');
}

/** A six-digit code that is none of the codes accepted right now. */
export function wrongCode(secret: string): string {
  const valid = new Set(
    [0, 1, -1].map((offset) =>
      authenticator.clone({ epoch: Date.now() + offset * STEP_MS }).generate(secret),
    ),
  );
  for (let candidate = 0; ; candidate += 1) {
    const code = String(candidate).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

/** Turns MFA on for the user behind `session` (which needs the current password) and returns the secret. */
export async function enableMfa(
  client: Client,
  session: Session,
  password: string,
  used: Set<string>,
): Promise<string> {
  const setup = await client.post('/v1/auth/mfa/setup').set(session.auth).send({}).expect(200);
  const secret = setup.body.secret as string;
  await client
    .post('/v1/auth/mfa/enable')
    .set(session.auth)
    .send({ otp: freshCode(secret, used), password })
    .expect(204);
  return secret;
}

export interface AxeFinding {
  id: string;
  impact: string | null | undefined;
  nodes: string[];
}

/** The axe-core violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
