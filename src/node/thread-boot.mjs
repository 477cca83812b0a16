// Starts a worker thread's TypeScript entry. tsx's loader does not reach worker threads on
// Node 20, so a .ts entry is imported through tsx's API; a built .js entry directly.
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(entry, import.meta.url);
} else {
  await import(entry);
}
