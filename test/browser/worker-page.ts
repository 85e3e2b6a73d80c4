// Starts worker.ts as a dedicated module worker (served by Vite, as a page's own worker would be)
// and leaves what it posts on window.__worker for worker.test.ts.
import type { WorkerReport } from './worker.js';

declare global {
  interface Window {
    __worker?: WorkerReport;
  }
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'webgpu-activations' });
worker.addEventListener('message', (e: MessageEvent<WorkerReport>) => {
  window.__worker = e.data;
  document.getElementById('log')!.textContent = JSON.stringify(e.data, null, 2);
});
worker.addEventListener('error', (e) => (window.__worker = { fatal: `the worker failed to start or threw: ${e.message}` }));
