/** The types of eslint.config.js, for tests that read its layer table (test/unit/readme-layout.test.ts). */
export const LAYERS: readonly (readonly string[])[];
declare const config: unknown;
export default config;
