/** Election, ballot and voter IDs: what may appear in a workflow ID, a URL path and a log line. */
export const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
