import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

/** A client and native connection to the suite's shared dev server (real visibility, real timers). */
export function devServerEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress') });
}

/**
 * A time-skipping environment on its own Java test server. The JVM starts close to the SDK's ~5 s
 * wait, so one failed start is retried.
 */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const start = () =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
    });
  try {
    return await start();
  } catch {
    return start();
  }
}

/** A task queue name no other test uses, so workers of parallel files never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
