/**
 * The values the Worker suite's global setup (in Node) hands to the Worker and to the tests
 * inside workerd, through vitest's `provide` and `inject`.
 */

/** The Worker's bindings for the suite; every value is a string, as wrangler vars are. */
export interface WorkerTestBindings {
  /** The suite's own database on the test PostgreSQL server. */
  DATABASE_URL: string;
  /** `127.0.0.1:<port>` of the WebSocket-to-TCP proxy in front of that server. */
  NEON_WS_PROXY: string;
  /** base64url of 32 random bytes, new for each run. */
  LOCAL_ROOT_KEY: string;
  /** The HS256 secret the tests sign tokens with, new for each run. */
  AUTH_JWT_SECRET: string;
  ALLOW_LOCAL_TARGETS: 'true';
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerBindings: WorkerTestBindings;
    /** A second database on the same server, reached through the same proxy, for the rotation test. */
    rotationDatabaseUrl: string;
    /** Why the Worker suite cannot run here; empty when it can. */
    workersSkipReason: string;
  }
}
