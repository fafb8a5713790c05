// PGlite's CommonJS build loads Node built-ins with dynamic import(), which Jest's VM refuses
// without --experimental-vm-modules. Rewriting them to require() is equivalent in Node; the
// module-level alias matters because PGlite declares a local `require` of its own.
const { builtinModules } = require('node:module');

const BARE_IMPORT = /import\(\s*["']((?:node:)?[a-z_/]+)["']\s*\)/g;
const isBuiltin = (name) => builtinModules.includes(name.replace(/^node:/, ''));

module.exports = {
  process(source) {
    const code = source.replace(BARE_IMPORT, (match, name) =>
      isBuiltin(name) ? `Promise.resolve(__nodeRequire("${name}"))` : match,
    );
    return { code: `const __nodeRequire = require;${code}` };
  },
};
