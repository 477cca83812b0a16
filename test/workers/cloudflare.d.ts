// The few workerd test APIs these tests use, typed here: @cloudflare/workers-types is not a
// dependency (its globals clash with @types/node in the main tsconfig).
declare module 'cloudflare:test' {
  export interface D1Migration {
    name: string;
    queries: string[];
  }
  export interface TestExecutionContext {
    waitUntil(promise: Promise<unknown>): void;
    passThroughOnException(): void;
  }
  export function createExecutionContext(): TestExecutionContext;
  export function waitOnExecutionContext(ctx: TestExecutionContext): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: number; cron?: string }): {
    scheduledTime: number;
    cron: string;
    noRetry(): void;
  };
  export function applyD1Migrations(db: unknown, migrations: D1Migration[], migrationsTableName?: string): Promise<void>;
}

declare module 'cloudflare:workers' {
  export interface TestD1Result<T> {
    results: T[];
  }
  export interface TestD1 {
    prepare(query: string): {
      bind(...values: unknown[]): { all<T = Record<string, unknown>>(): Promise<TestD1Result<T>>; run(): Promise<unknown> };
      all<T = Record<string, unknown>>(): Promise<TestD1Result<T>>;
      run(): Promise<unknown>;
    };
  }
  export const env: {
    DB: TestD1;
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  } & Record<string, unknown>;
}
