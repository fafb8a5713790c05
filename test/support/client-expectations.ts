import { BastionProblem } from '@bastion/client';

/** The typed client's call was refused with a problem+json answer, returned for inspection. */
export async function rejection(promise: Promise<unknown>): Promise<BastionProblem> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BastionProblem);
  return error as BastionProblem;
}
