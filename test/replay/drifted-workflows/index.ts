/**
 * The ballot workflow with a behaviour change made WITHOUT `patched()`: it sleeps before doing
 * anything. Replaying a recorded history against it must fail, which proves the replay test can see
 * non-determinism at all.
 */
import { sleep } from '@temporalio/workflow';
import { ballotWorkflow as currentBallotWorkflow, type BallotWorkflowInput } from '../../../workflows/ballot.js';

export async function ballotWorkflow(input: BallotWorkflowInput) {
  await sleep('1 second');
  return currentBallotWorkflow(input);
}
