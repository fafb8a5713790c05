// Preloaded into the Bastion server with `--require` when BENCH_PROFILE=1. The same V8 sampling
// profiler as `node --cpu-prof`, but started and stopped by the benchmark over the IPC channel, so
// each profile covers one scenario's measured load only (and is written although the server is
// stopped with SIGTERM, where --cpu-prof would write nothing).
'use strict';
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

process.on('message', (message) => {
  if (!message || typeof message.profiler !== 'string') return;
  const answer = (extra) => process.send({ profiler: message.profiler, ...extra });
  const run =
    message.profiler === 'start'
      ? post('Profiler.enable')
          .then(() => post('Profiler.setSamplingInterval', { interval: 500 }))
          .then(() => post('Profiler.start'))
      : post('Profiler.stop').then(({ profile }) =>
          writeFileSync(message.file, JSON.stringify(profile)),
        );
  run.then(
    () => answer({}),
    (error) => answer({ error: String(error) }),
  );
});
// The IPC channel must not keep the server alive once it is asked to stop.
if (process.channel) process.channel.unref();
