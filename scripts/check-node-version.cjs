// Runs before `npm start` on whatever Node is on PATH, so that an old one gets a sentence naming
// the version Bastion needs instead of a failure somewhere in the build.
const { engines } = require('../package.json');

const required = Number(/\d+/.exec(engines.node)[0]);
const major = Number(process.versions.node.split('.')[0]);
if (major < required) {
  console.error(
    `Bastion needs Node.js ${engines.node} (Node ${required} LTS); this is ${process.version}.\n` +
      'Install it with nvm (`nvm install`, which reads .nvmrc) or from https://nodejs.org.',
  );
  process.exit(1);
}
