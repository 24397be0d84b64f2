import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module at `entry` (`new URL('./x.js', import.meta.url)`, or the
 * caller's own `import.meta.url`). Run from source (tsx: development and single-file tests), the
 * module is the `.ts` beside a `.js` URL, and the thread registers tsx before importing it: Node 20
 * does not pass the TS loader hooks on to worker threads.
 */
export function startThread(entry: URL, options: Omit<WorkerOptions, 'eval'>): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(entry, options);
  const source = JSON.stringify(entry.href.replace(/\.js$/, '.ts'));
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${api}).then((m) => { m.register(); return import(${source}); });`, { ...options, eval: true });
}
