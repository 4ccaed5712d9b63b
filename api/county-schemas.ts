/**
 * Request and response schemas of the county records API (`/v1/counties`): what a county may set,
 * each field checked here so a client mistake is a 400 naming the field, never a 500. The same
 * schemas generate the OpenAPI document.
 */
import { z } from 'zod';
import { CHALLENGE_REASONS, CURE_DEADLINE_RULES } from '../domain/reasons.js';
import { isValidTimeZone } from '../domain/zoned-time.js';
import { LANGUAGES } from '../delivery/templates/index.js';
import { storableText } from '../ingest/schemas.js';

/** A county code as keys name it (`keys create --counties`). */
export const countyCodeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a county code: letters, digits, _ . -');

const httpsUrl = z
  .url({ protocol: /^https$/, error: 'an https URL' })
  .max(2000)
  .describe('https URL');
const instant = z.iso.datetime({
  offset: true,
  error: 'an ISO 8601 date-time with an offset, e.g. 2026-11-03T20:00:00-08:00',
});
/** A display name goes into an email header: no line breaks, quotes or angle brackets. */
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\r\n<>"]*$/, 'no line breaks, quotes or angle brackets');

const fields = {
  name: z.string().trim().min(1).max(200).describe('the office as voters know it; every message names it'),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9(][0-9 ().-]{5,28}[0-9]$/, 'a phone number such as (916) 875-6451 or +19168756451')
    .refine((phone) => phone.replace(/\D/g, '').length >= 7, 'a phone number of at least 7 digits')
    .describe('the number voters call; every message names it'),
  url: httpsUrl.describe("the office's website (https); messages and pages link to it"),
  timezone: z
    .string()
    .max(64)
    .refine(isValidTimeZone, 'an IANA time zone, e.g. America/Los_Angeles')
    .describe('IANA time zone of dates in messages and pages'),
  languages: z
    .array(z.enum(LANGUAGES))
    .min(1)
    .max(LANGUAGES.length)
    .refine((list) => new Set(list).size === list.length, 'each language once')
    .refine((list) => list.includes('en'), 'must include en (the language every message falls back to)')
    .nullable()
    .describe(`catalog languages offered to the county's voters (${LANGUAGES.join(', ')}); null: all`),
  emailSender: z
    .strictObject({
      address: z.email({ error: 'an email address' }).max(254),
      name: displayName.optional(),
    })
    .nullable()
    .describe("the From of the county's email (a sender verified in SendGrid); null: the deployment's"),
  smsSender: z
    .strictObject({
      messagingServiceSid: z
        .string()
        .regex(/^MG[0-9a-fA-F]{32}$/, 'a Twilio Messaging Service SID: MG and 32 hex digits'),
    })
    .nullable()
    .describe("the Twilio Messaging Service of the county's texts; null: the deployment's"),
  cureUrl: httpsUrl.nullable().describe('the cure form for a challenge reason without its own form'),
  cureForms: z
    .partialRecord(z.enum(CHALLENGE_REASONS), httpsUrl)
    .describe(`the form per challenge reason (${CHALLENGE_REASONS.join(', ')}); ?ballot=<id> is appended`),
  cureDeadlineRule: z
    .enum(CURE_DEADLINE_RULES)
    .nullable()
    .describe('said when a challenge carries no deadline of its own'),
  certifiesAt: instant.nullable().describe('when the county certifies the election'),
  countedFrom: instant
    .nullable()
    .describe('from this instant an accepted ballot "was counted"; before it, and when null, "will be counted"'),
  householdInitial: z.boolean().describe("messages name the voter's first initial (a household sharing one phone)"),
};

/**
 * PUT: the whole record. name, phone, url and timezone are required; an optional field left out is
 * cleared (null, no cure forms, householdInitial false), exactly as if sent as null.
 */
export const countyPutSchema = storableText(
  z.strictObject({
    name: fields.name,
    phone: fields.phone,
    url: fields.url,
    timezone: fields.timezone,
    languages: fields.languages.optional(),
    emailSender: fields.emailSender.optional(),
    smsSender: fields.smsSender.optional(),
    cureUrl: fields.cureUrl.optional(),
    cureForms: fields.cureForms.optional(),
    cureDeadlineRule: fields.cureDeadlineRule.optional(),
    certifiesAt: fields.certifiesAt.optional(),
    countedFrom: fields.countedFrom.optional(),
    householdInitial: fields.householdInitial.optional(),
  }),
);
export type CountyPut = z.output<typeof countyPutSchema>;

/** PATCH: only the fields present change; null clears an optional one; cureForms replaces all forms. */
export const countyPatchSchema = storableText(z.strictObject(fields).partial());
export type CountyPatch = z.output<typeof countyPatchSchema>;

/** The record as answered (GET, PUT, PATCH, the list). */
export const countyRecordSchema = z.object({
  county: z.string(),
  name: z.string(),
  phone: z.string(),
  url: z.string(),
  timezone: z.string(),
  languages: z.array(z.string()).nullable(),
  emailSender: z.object({ address: z.string(), name: z.string().nullable() }).nullable(),
  smsSender: z.object({ messagingServiceSid: z.string() }).nullable(),
  cureUrl: z.string().nullable(),
  cureForms: z.record(z.string(), z.string()),
  cureDeadlineRule: z.string().nullable(),
  certifiesAt: z.string().nullable(),
  countedFrom: z.string().nullable(),
  householdInitial: z.boolean(),
  updatedAt: z.string(),
});

export const countyListSchema = z.object({ counties: z.array(countyRecordSchema) });

/** A county's own words for one catalog text in one language (always stored as a draft). */
export const countyTextPutSchema = storableText(
  z.strictObject({
    text: z.string().trim().min(1).max(300).describe("the county's words (at most 300 characters)"),
  }),
);

/** The review: optionally the text the reviewer read, so a text changed since then is not marked reviewed. */
export const countyTextReviewSchema = storableText(
  z.strictObject({
    text: z.string().optional().describe('the text as the reviewer read it; 409 text_changed when it differs'),
  }),
);

export const countyTextSchema = z.object({
  path: z.string(),
  language: z.string(),
  text: z.string(),
  reviewState: z.enum(['draft', 'reviewed']),
  author: z.string().nullable().describe('the API key ID that wrote it (cli: the operator CLI)'),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.string().nullable(),
  updatedAt: z.string(),
});

export const countyTextsSchema = z.object({
  county: z.string(),
  texts: z.array(
    z.object({
      path: z.string(),
      language: z.string(),
      default: z.string().nullable().describe("the catalog's text (cure_rule: the wording of the county's rule)"),
      override: countyTextSchema.nullable(),
      used: z.enum(['default', 'override']).describe('what messages say now: the override only once reviewed'),
    }),
  ),
});
