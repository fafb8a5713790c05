// openid-client and the libraries it builds on (oauth4webapi, jose) ship only ES modules. Node 24
// loads them with require(), but Jest's CommonJS runtime refuses to: compiling them to CommonJS
// with esbuild gives Jest what Node itself would see.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      target: 'node24',
      sourcemap: 'external',
      sourcefile: filename,
      loader: 'js',
    });
    return { code, map };
  },
};
