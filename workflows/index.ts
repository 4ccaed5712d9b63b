export { ballotWorkflow } from './ballot.js';
export { electionWorkflow } from './election.js';
export { smokeTestWorkflow } from './smoke-test.js';
export { contactDataPurgeWorkflow } from './purge.js';
