/**
 * The version of the opt-in consent text recorded with every consent row when the caller does not
 * name its own (`RequestOrigin.consentTextVersion`). Change it whenever the wording changes, so each
 * record says which text the voter agreed to.
 */
export const CONSENT_TEXT_VERSION = '2026-11-v1';
