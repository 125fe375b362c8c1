/// <reference types="@cloudflare/vitest-pool-workers/types" />
// Types of `env` and `exports` from `cloudflare:workers` inside the Worker suite.
declare namespace Cloudflare {
  type WorkerTestBindings = import('../support/workers-context.js').WorkerTestBindings;

  interface GlobalProps {
    mainModule: typeof import('../../functions/worker.js');
  }
  interface Env extends WorkerTestBindings {}
}
