export { ballotWorkflow } from './ballot.js';
export { smokeTestWorkflow } from './smoke-test.js';
