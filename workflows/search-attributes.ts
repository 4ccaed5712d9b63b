import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The project's custom search attributes: the only list. The dev server is started with them, the
 * worker registers them at start-up, and workflows upsert them by these typed keys. Values are IDs and
 * statuses only: search attributes are never encrypted, so no personal data may go in them.
 */
export const ElectionId = defineSearchAttributeKey('ElectionId', SearchAttributeType.KEYWORD);
export const County = defineSearchAttributeKey('County', SearchAttributeType.KEYWORD);
export const BallotStatus = defineSearchAttributeKey('BallotStatus', SearchAttributeType.KEYWORD);
export const NeedsAttention = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);
/** Set while a notice cannot go out: `retrying` (for over an hour) or `paused` (an operator must resume). */
export const DeliveryProblem = defineSearchAttributeKey('DeliveryProblem', SearchAttributeType.KEYWORD);

export const CUSTOM_SEARCH_ATTRIBUTES = [ElectionId, County, BallotStatus, NeedsAttention, DeliveryProblem] as const;
