// Lets Node 24 run this example's TypeScript sources as they are (`node --import ./register.mjs
// src/main.ts`), with no build step and no dependency: Node strips the types itself, and this hook
// resolves what TypeScript resolves through tsconfig.json and Node would not:
// - `@bastion/client`, which a real internal app installs as a package, is the client's source;
// - imports without an extension (`./config`), as the repository writes them, are `.ts` files.
import { registerHooks } from 'node:module';

const CLIENT = new URL('../../libs/client/src/index.ts', import.meta.url).href;

/** Sources are ES modules; saying so spares Node a reparse and its warning about it. */
function typescript(resolved) {
  return resolved.url.endsWith('.ts') ? { ...resolved, format: 'module-typescript' } : resolved;
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === '@bastion/client') {
      return { url: CLIENT, format: 'module-typescript', shortCircuit: true };
    }
    try {
      return typescript(nextResolve(specifier, context));
    } catch (error) {
      if (!specifier.startsWith('.') || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
      return typescript(nextResolve(`${specifier}.ts`, context));
    }
  },
});
