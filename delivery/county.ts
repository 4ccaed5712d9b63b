/**
 * A county's name, phone and URL: every message names them. They come from the county's `counties`
 * row (`npm run cli -- county …`); a county without a row, or a row missing a field, falls back per
 * field to DEFAULT_COUNTY_NAME / DEFAULT_COUNTY_PHONE / DEFAULT_COUNTY_URL, and outside production
 * to development defaults. In production an unset default means no fallback.
 */
import type { Config } from '../config/env.js';
import type { CountySender } from './senders.js';

export interface CountyDetails {
  name: string;
  phone: string;
  url: string;
}

/** Per field: a value to use when the county's row lacks it (or there is no row). */
export type CountyFallback = Partial<CountyDetails>;

/** Outside production only: what a demo or a test with no `county` record shows. */
export const DEVELOPMENT_COUNTY_NAME = 'Elections Office';
export const DEVELOPMENT_COUNTY_PHONE = '(555) 010-0100';

/** The fallback the configuration asks for (pure: reads only `config`). */
export function countyFallback(
  config: Pick<
    Config,
    'NODE_ENV' | 'PUBLIC_BASE_URL' | 'DEFAULT_COUNTY_NAME' | 'DEFAULT_COUNTY_PHONE' | 'DEFAULT_COUNTY_URL'
  >,
): CountyFallback {
  const development = config.NODE_ENV !== 'production';
  const name = config.DEFAULT_COUNTY_NAME ?? (development ? DEVELOPMENT_COUNTY_NAME : undefined);
  const phone = config.DEFAULT_COUNTY_PHONE ?? (development ? DEVELOPMENT_COUNTY_PHONE : undefined);
  const url = config.DEFAULT_COUNTY_URL ?? (development ? config.PUBLIC_BASE_URL : undefined);
  return {
    ...(name ? { name } : {}),
    ...(phone ? { phone } : {}),
    ...(url ? { url } : {}),
  };
}

/**
 * The county's details, each field from its row when set there and from `fallback` otherwise;
 * undefined when a field has neither (the county is not configured).
 */
export function resolveCountyDetails(
  row: { name?: string | null; phone?: string | null; url?: string | null } | undefined,
  fallback: CountyFallback = {},
): CountyDetails | undefined {
  const name = row?.name || fallback.name;
  const phone = row?.phone || fallback.phone;
  const url = row?.url || fallback.url;
  return name && phone && url ? { name, phone, url } : undefined;
}

/**
 * The county's own senders from its record (PUT /v1/counties/{code}): its verified SendGrid From
 * (address and display name) and its Twilio Messaging Service; a field it does not set is left to
 * the deployment's sender (SENDGRID_FROM_EMAIL/NAME, TWILIO_MESSAGING_SERVICE_SID/SMS_FROM).
 */
export function countySender(
  row:
    | {
        email_from?: string | null;
        email_from_name?: string | null;
        sms_messaging_service_sid?: string | null;
      }
    | undefined,
): CountySender {
  return {
    ...(row?.email_from
      ? { email: { email: row.email_from, ...(row.email_from_name ? { name: row.email_from_name } : {}) } }
      : {}),
    ...(row?.sms_messaging_service_sid ? { messagingServiceSid: row.sms_messaging_service_sid } : {}),
  };
}
