import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { lastValueFrom, Observable, of, throwError } from 'rxjs';
import { ValidationProblem } from '@bastion/common';
import { PaymentsErrorCode, PaymentsException } from '../payments.exception';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { ClaimOutcome, IdempotencyClaim, IdempotencyService } from './idempotency.service';

class PaymentsHandlers {
  pay(): void {}
}

const SCOPE = { actorType: 'user', actorId: 'u-1', key: 'k-1' };

function claimed(attemptId: string | null): ClaimOutcome {
  return {
    kind: 'claimed',
    claim: {
      scope: SCOPE,
      leaseToken: 't-1',
      attemptId,
      fingerprint: 'f-1',
      held: true,
      completed: false,
    },
  };
}

function setup(outcome: ClaimOutcome) {
  const keys = {
    claim: jest.fn().mockResolvedValue(outcome),
    complete: jest.fn().mockResolvedValue(undefined),
    release: jest.fn().mockResolvedValue(undefined),
  };
  const request: { idempotencyClaim?: IdempotencyClaim } & Record<string, unknown> = {
    principal: { type: 'user', id: 'u-1' },
    headers: { 'idempotency-key': 'k-1' },
    method: 'POST',
    url: '/v1/orders/o-1/payments',
    body: { paymentMethod: { type: 'card', token: 'tok_visa' } },
  };
  const headers: Record<string, string> = {};
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
  };
  const context = new ExecutionContextHost(
    [request, reply],
    PaymentsHandlers,
    PaymentsHandlers.prototype.pay,
  );
  const interceptor = new IdempotencyInterceptor(
    keys as unknown as IdempotencyService,
    new Reflector(),
  );
  const run = async (handler: Observable<unknown>) =>
    lastValueFrom(await interceptor.intercept(context, { handle: () => handler }));
  return { keys, request, headers, run };
}

describe('IdempotencyInterceptor', () => {
  it('replays a stored answer without running the handler', async () => {
    const { headers, run } = setup({
      kind: 'replay',
      response: { status: 201, body: { id: 'p' } },
    });
    const handler = jest.fn();

    await expect(run(new Observable(handler))).resolves.toEqual({ id: 'p' });
    expect(handler).not.toHaveBeenCalled();
    expect(headers['Idempotent-Replayed']).toBe('true');
  });

  it('hands its claim to the handler and keeps the answer for replays', async () => {
    const claim: IdempotencyClaim = {
      scope: SCOPE,
      leaseToken: 't-1',
      attemptId: null,
      fingerprint: 'f-1',
      held: true,
      completed: false,
    };
    const { keys, request, headers, run } = setup({ kind: 'claimed', claim });

    await expect(run(of({ id: 'p' }))).resolves.toEqual({ id: 'p' });
    expect(request.idempotencyClaim).toBe(claim);
    expect(keys.complete).toHaveBeenCalledWith(claim, {
      status: 201,
      body: { id: 'p' },
    });
    expect(headers['Idempotent-Replayed']).toBeUndefined();
  });

  it('marks the answer of a request it took over from one cut short as a replay', async () => {
    const { headers, run } = setup(claimed('payment-1'));

    await run(of({ id: 'payment-1' }));
    expect(headers['Idempotent-Replayed']).toBe('true');
  });

  it('keeps a domain error, but lets go of the key after a validation error or a failure', async () => {
    const conflict = new PaymentsException(PaymentsErrorCode.NothingOutstanding);
    const kept = setup(claimed(null));
    await expect(run(kept, conflict)).rejects.toBe(conflict);
    expect(kept.keys.complete).toHaveBeenCalledWith(kept.request.idempotencyClaim, {
      status: 409,
      body: {
        problem: { slug: conflict.slug, title: conflict.title, detail: conflict.detail },
      },
    });

    for (const error of [new ValidationProblem([]), new Error('provider unreachable')]) {
      const released = setup(claimed('payment-1'));
      await expect(run(released, error)).rejects.toBe(error);
      expect(released.keys.release).toHaveBeenCalledWith(released.request.idempotencyClaim);
      expect(released.keys.complete).not.toHaveBeenCalled();
      expect(released.headers['Idempotent-Replayed']).toBeUndefined();
    }

    function run(harness: ReturnType<typeof setup>, error: Error) {
      return harness.run(throwError(() => error));
    }
  });
});
