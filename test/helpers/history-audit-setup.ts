/**
 * Global setup of the `audit` vitest project (test/integration/no-personal-data-in-histories.test.ts).
 * The audit must walk the SAME Temporal dev server the `system` tests used, but vitest 4 runs a
 * `globalSetup` once per project that lists it (each project's own copy, no sharing), and a root-level
 * one would start the servers for `--project unit` runs too. So this hands the audit the `system`
 * project's servers: vitest runs every project's global setup, one project after another, before any
 * test, and tears them all down after the last group, so the audit (a later `sequence.groupOrder`)
 * runs while they are still up. Run alone (`--project audit`), it starts servers of its own through
 * the same test/global-setup.ts.
 */
import type { TestProject } from 'vitest/node';
import startServers from '../global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `system-suite`: the audit sees the servers the system tests used; `standalone`: its own. */
    historyAuditScope: 'system-suite' | 'standalone';
  }
}

export default async function setup(project: TestProject) {
  const system = project.vitest.projects.find((candidate) => candidate.name === 'system');
  if (!system) {
    project.provide('historyAuditScope', 'standalone');
    return startServers(project);
  }
  if (system.getProvidedContext().temporalAddress === undefined) {
    // Not yet set up (project order): run it now; vitest skips a project's global setup that ran.
    await (system as unknown as { _initializeGlobalSetup(): Promise<void> })._initializeGlobalSetup();
  }
  const { temporalAddress, postgresAdminUrl, testServerPath } = system.getProvidedContext();
  if (!temporalAddress || !postgresAdminUrl) {
    throw new Error('the system project provided no Temporal dev server: test/global-setup.ts changed?');
  }
  project.provide('temporalAddress', temporalAddress);
  project.provide('postgresAdminUrl', postgresAdminUrl);
  project.provide('testServerPath', testServerPath);
  project.provide('historyAuditScope', 'system-suite');
}
