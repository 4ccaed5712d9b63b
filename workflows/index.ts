export { smokeTestWorkflow } from './smoke-test.js';
