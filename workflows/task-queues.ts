/**
 * SMS sends run on their own task queue, polled by a worker whose task-queue activity rate limit is
 * the sender's messages per second: a burst of notices is paced by the server, not rejected by the
 * carrier. The name derives from the ballot's own queue so every deployment and test gets its own.
 */
export const smsTaskQueueFor = (taskQueue: string): string => `${taskQueue}-sms`;
