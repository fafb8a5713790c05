import { AsyncLocalStorage } from 'node:async_hooks';

export interface ContextActor {
  type: 'user' | 'api_key';
  id: string;
  display: string;
}

/** What every log line and audit event of a request shares. */
export interface RequestContext {
  requestId: string;
  ip: string;
  userAgent: string | null;
  actor?: ContextActor;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(context: RequestContext, callback: () => T): T {
    return storage.run(context, callback);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};
