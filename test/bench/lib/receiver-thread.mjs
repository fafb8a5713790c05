// The webhook receiver's thread: an HTTPS server answering each path with the status it was told,
// on an event loop of its own, so that the load generator keeping the main thread busy cannot
// delay the arrival times recorded here.
import { createServer } from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';

/** path → the status it answers (404 for a path nobody set up). */
const answers = new Map();
/** path → deliveries answered 2xx: [event id, type, object id, occurredAt ms, arrival ms]. */
const accepted = new Map();
/** path → requests answered otherwise. */
const refused = new Map();

const server = createServer({ key: workerData.key, cert: workerData.cert }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const arrivedAt = Date.now();
    const path = req.url;
    const status = answers.get(path) ?? 404;
    if (status < 300) {
      const event = JSON.parse(Buffer.concat(chunks).toString());
      if (!accepted.has(path)) accepted.set(path, []);
      accepted
        .get(path)
        .push([
          event.id,
          event.type,
          event.data?.object?.id,
          Date.parse(event.occurredAt),
          arrivedAt,
        ]);
    } else {
      refused.set(path, (refused.get(path) ?? 0) + 1);
    }
    res.statusCode = status;
    res.end();
  });
});

parentPort.on('message', (message) => {
  if (message.type === 'answer') {
    answers.set(message.path, message.status);
    parentPort.postMessage({ reply: message.id });
  } else if (message.type === 'take') {
    parentPort.postMessage({
      reply: message.id,
      accepted: accepted.get(message.path) ?? [],
      refused: refused.get(message.path) ?? 0,
    });
  } else if (message.type === 'close') {
    server.close(() => parentPort.postMessage({ reply: message.id }));
  }
});

server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
