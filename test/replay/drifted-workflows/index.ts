/**
 * The ballot workflows with a behaviour change made WITHOUT `patched()` (or a new workflow type):
 * they sleep before doing anything. Replaying a recorded history against them must fail, which
 * proves the replay test can see non-determinism at all.
 */
import { sleep } from '@temporalio/workflow';
import type { BallotWorkflowInput } from '../../../workflows/ballot-contract.js';
import { ballotLifecycle as currentBallotLifecycle } from '../../../workflows/ballot.js';
import { ballotWorkflow as currentBallotWorkflow } from '../../../workflows/ballot-v1.js';

export async function ballotWorkflow(input: BallotWorkflowInput) {
  await sleep('1 second');
  return currentBallotWorkflow(input);
}

export async function ballotLifecycle(input: BallotWorkflowInput) {
  await sleep('1 second');
  return currentBallotLifecycle(input);
}
