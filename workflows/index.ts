export { ballotLifecycle } from './ballot.js';
export { ballotWorkflow } from './ballot-v1.js';
export { electionWorkflow } from './election.js';
export { smokeTestWorkflow } from './smoke-test.js';
export { contactDataPurgeWorkflow } from './purge.js';
export { broadcastWorkflow } from './broadcast.js';
