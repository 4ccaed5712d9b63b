import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { countyFallback, resolveCountyDetails } from '../../delivery/county.js';

const database = { DATABASE_URL: 'postgres://user:pass@db:5432/ballots', NODE_ENV: 'development' };
const production = {
  ...database,
  NODE_ENV: 'production',
  MANAGE_TOKEN_SECRET: 'production-secret-0123456789abcdef0123',
  PUBLIC_BASE_URL: 'https://vote.example.gov/',
  TRUST_PROXY: '1',
};

describe('the fallback for a county without a county record', () => {
  it('outside production, defaults to "Elections Office", a fictional phone and PUBLIC_BASE_URL', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(countyFallback(loadConfig({ ...database, NODE_ENV, PUBLIC_BASE_URL: 'http://127.0.0.1:4000/' }))).toEqual({
        name: 'Elections Office',
        phone: '(555) 010-0100',
        url: 'http://127.0.0.1:4000',
      });
    }
  });

  it('in production, gives nothing unless DEFAULT_COUNTY_* are set', () => {
    expect(countyFallback(loadConfig(production))).toEqual({});
  });

  it('in production, uses each DEFAULT_COUNTY_* that is set, and only those', () => {
    expect(countyFallback(loadConfig({ ...production, DEFAULT_COUNTY_NAME: 'Lassen County Elections' }))).toEqual({
      name: 'Lassen County Elections',
    });
    expect(
      countyFallback(
        loadConfig({
          ...production,
          DEFAULT_COUNTY_NAME: 'Lassen County Elections',
          DEFAULT_COUNTY_PHONE: '(530) 555-0123',
          DEFAULT_COUNTY_URL: 'https://vote.lassen.example/',
        }),
      ),
    ).toEqual({ name: 'Lassen County Elections', phone: '(530) 555-0123', url: 'https://vote.lassen.example' });
  });

  it('outside production, a set DEFAULT_COUNTY_* wins over the development default of that field only', () => {
    expect(countyFallback(loadConfig({ ...database, DEFAULT_COUNTY_PHONE: '(530) 555-0123' }))).toEqual({
      name: 'Elections Office',
      phone: '(530) 555-0123',
      url: 'http://127.0.0.1:3000',
    });
  });

  it('refuses a DEFAULT_COUNTY_URL that is not a URL', () => {
    expect(() => loadConfig({ ...database, DEFAULT_COUNTY_URL: 'lassen county' })).toThrow(/DEFAULT_COUNTY_URL/);
  });
});

describe('resolving a county record against the fallback', () => {
  const fallback = { name: 'Fallback Office', phone: '(555) 010-0100', url: 'https://fallback.example' };
  const row = { name: 'Plumas County Clerk', phone: '(530) 555-0188', url: 'https://plumas.example' };

  it('uses a complete record as it is', () => {
    expect(resolveCountyDetails(row, fallback)).toEqual(row);
    expect(resolveCountyDetails(row)).toEqual(row);
  });

  it('uses the fallback when there is no record', () => {
    expect(resolveCountyDetails(undefined, fallback)).toEqual(fallback);
  });

  it('falls back per field for a partial record (empty phone or URL)', () => {
    expect(resolveCountyDetails({ ...row, phone: '' }, fallback)).toEqual({ ...row, phone: fallback.phone });
    expect(resolveCountyDetails({ ...row, url: '' }, fallback)).toEqual({ ...row, url: fallback.url });
  });

  it('is undefined (not configured) when a field has neither a value nor a fallback', () => {
    expect(resolveCountyDetails(undefined)).toBeUndefined();
    expect(resolveCountyDetails(undefined, {})).toBeUndefined();
    expect(resolveCountyDetails({ ...row, phone: '' })).toBeUndefined();
    expect(
      resolveCountyDetails(undefined, { name: 'Fallback Office', url: 'https://fallback.example' }),
    ).toBeUndefined();
  });
});
