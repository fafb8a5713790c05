// Where a V8 CPU profile (.cpuprofile, as written by `node --cpu-prof` or the preload) spent its
// time: self time per function and per package, and inclusive time per package (the share of
// samples with that package anywhere on the stack).
import { readFileSync } from 'node:fs';

/** The package, or part of Node or of Bastion, a frame belongs to. */
export function categoryOf(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return functionName ? `native: ${functionName}` : 'native';
  }
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/g;
  let last = null;
  for (const match of url.matchAll(nodeModules)) last = match[1];
  if (last) return last;
  if (url.startsWith('node:')) return 'node core';
  const bastion = /\/dist\/((?:src|libs)\/[^/]+)/.exec(url);
  if (bastion) return `bastion ${bastion[1]}`;
  return url;
}

/** Node core, V8 and native frames: their time is charged to the nearest caller above them. */
const isRuntime = (category) =>
  category === 'node core' ||
  category === 'GC' ||
  category.startsWith('native') ||
  category.startsWith('V8');

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/dist\//, 'dist/');

export function analyseProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);

  const selfByFunction = new Map();
  const selfByCategory = new Map();
  const chargedByCategory = new Map();
  const inclusiveByCategory = new Map();
  let busy = 0;
  let total = 0;
  for (const [id, count] of counts) {
    const node = byId.get(id);
    const category = categoryOf(node.callFrame);
    total += count;
    if (category === 'idle') continue;
    busy += count;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + count);
    selfByCategory.set(category, (selfByCategory.get(category) ?? 0) + count);
    const onStack = new Set();
    let charged = null;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frameCategory = categoryOf(byId.get(at).callFrame);
      onStack.add(frameCategory);
      if (charged === null && !isRuntime(frameCategory)) charged = frameCategory;
    }
    charged ??= category;
    chargedByCategory.set(charged, (chargedByCategory.get(charged) ?? 0) + count);
    for (const seen of onStack)
      inclusiveByCategory.set(seen, (inclusiveByCategory.get(seen) ?? 0) + count);
  }
  const ranked = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => ({ name, percent: Math.round((count / busy) * 1000) / 10 }));
  return {
    seconds: (profile.endTime - profile.startTime) / 1e6,
    busyPercent: Math.round((busy / Math.max(1, total)) * 1000) / 10,
    selfByFunction: ranked(selfByFunction),
    selfByCategory: ranked(selfByCategory),
    chargedByCategory: ranked(chargedByCategory),
    inclusiveByCategory: ranked(inclusiveByCategory),
  };
}

export function summariseProfile(file, top = 20) {
  const analysis = analyseProfile(JSON.parse(readFileSync(file, 'utf8')));
  const list = (entries) =>
    entries
      .slice(0, top)
      .map(({ name, percent }) => `  ${String(percent).padStart(5)} %  ${name}`)
      .join('\n');
  return [
    `${analysis.seconds.toFixed(1)} s profiled, main thread busy ${analysis.busyPercent} % ` +
      '(percentages below: of busy samples)',
    'Self time by package:',
    list(analysis.selfByCategory),
    'Self time with Node core and native time charged to the nearest package that called it:',
    list(analysis.chargedByCategory),
    'Inclusive time by package (on the stack):',
    list(analysis.inclusiveByCategory),
    'Self time by function:',
    list(analysis.selfByFunction),
  ].join('\n');
}
