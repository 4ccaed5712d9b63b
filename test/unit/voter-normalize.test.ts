import { describe, expect, it } from 'vitest';
import { decideMatch, type RollCandidate } from '../../voters/matching.js';
import { maskEmail, maskPhone } from '../../voters/mask.js';
import {
  isValidDate,
  isValidTimeZone,
  normalizeEmail,
  normalizeName,
  normalizePhone,
  normalizeZip,
} from '../../voters/normalize.js';
import { createRateLimiter } from '../../voters/rate-limit.js';

describe('name normalisation for matching against the roll', () => {
  it.each([
    ['Mary-Jane', 'mary jane'],
    ['MaryJane', ' MÁRY  jane '],
    ["O'Brien", 'OBrien'],
    ['o’brien', "O'BRIEN"],
    ['Oʼbrien', 'O‘Brien'],
    ['José', 'JOSE'],
    ['Nguyễn', 'nguyen'],
    ['Anne–Marie', 'Anne—Marie'],
    ['Zoë', 'zoe'],
    ['\tGarcía   López ', 'garcia-lopez'],
  ])('%j and %j compare equal', (a, b) => {
    expect(normalizeName(a)).toBe(normalizeName(b));
  });

  it.each([
    ['Jim', 'James'],
    ['Bill', 'William'],
    ['Ann', 'Anne'],
    ['Jose', 'Josef'],
  ])('does not guess nicknames or spellings: %j is not %j', (a, b) => {
    expect(normalizeName(a)).not.toBe(normalizeName(b));
  });
});

describe('phone numbers to E.164 (US by default)', () => {
  it.each(['(916) 555-0123', '916.555.0123', '+1 916 555 0123', '916-555-0123', '1 (916) 555 0123', '9165550123'])(
    '%j becomes +19165550123',
    (input) => {
      expect(normalizePhone(input)).toBe('+19165550123');
    },
  );

  it('accepts US numbers and US territories only: +1 also reaches Canada and premium Caribbean numbers', () => {
    expect(normalizePhone('+1 787 555 0123')).toBe('+17875550123'); // Puerto Rico
    expect(normalizePhone('+1 671 555 0123')).toBe('+16715550123'); // Guam
    expect(normalizePhone('+1 340 555 0123')).toBe('+13405550123'); // US Virgin Islands
    expect(normalizePhone('+1 876 555 0123')).toBeUndefined(); // Jamaica: toll fraud through +1
    expect(normalizePhone('+1 809 555 0123')).toBeUndefined(); // Dominican Republic
    expect(normalizePhone('+1 604 555 0123')).toBeUndefined(); // Canada
    expect(normalizePhone('+52 55 1234 5678')).toBeUndefined();
    expect(normalizePhone('+44 20 7946 0958')).toBeUndefined();
  });

  it.each(['123', '555-0123', 'call me', '', '+1 916 555 01234567', '(000) 555-0123'])('rejects %j', (input) => {
    expect(normalizePhone(input)).toBeUndefined();
  });
});

describe('ZIP codes, dates, time zones, email', () => {
  it('accepts five digits and ZIP+4, comparing on the first five', () => {
    expect(normalizeZip('95814')).toBe('95814');
    expect(normalizeZip('95814-1234')).toBe('95814');
    expect(normalizeZip(' 958141234 ')).toBe('95814');
    for (const bad of ['9581', '958145', 'ABCDE', '95814-12']) expect(normalizeZip(bad)).toBeUndefined();
  });

  it('accepts only dates that exist', () => {
    expect(isValidDate('1992-02-29')).toBe(true);
    for (const bad of ['2023-02-29', '1990-13-01', '1990-1-1', '01/02/1990', '1850-01-01'])
      expect(isValidDate(bad)).toBe(false);
  });

  it('accepts IANA zones and refuses abbreviations and unknown names', () => {
    expect(isValidTimeZone('America/Los_Angeles')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    for (const bad of ['PST', 'Mars/Olympus', '', 'America/Los Angeles']) expect(isValidTimeZone(bad)).toBe(false);
  });

  it('checks the email form and lowercases only the domain', () => {
    expect(normalizeEmail(' Jane.Doe@Example.ORG ')).toBe('Jane.Doe@example.org');
    for (const bad of ['jane', 'jane@', '@example.org', 'jane doe@example.org'])
      expect(normalizeEmail(bad)).toBeUndefined();
  });
});

describe('matching decision', () => {
  const roll = (overrides: Partial<RollCandidate>): RollCandidate => ({
    voterId: 'V1',
    county: 'sacramento',
    status: 'active',
    firstName: 'Mary-Jane',
    lastName: "O'Brien",
    ...overrides,
  });
  const identity = { firstName: 'mary jane', lastName: 'OBRIEN', dateOfBirth: '1962-12-31', zip: '95814' };

  it('one active registration with the normalised names is a match', () => {
    expect(decideMatch(identity, [roll({}), roll({ voterId: 'V2', firstName: 'Molly' })])).toEqual({
      outcome: 'match',
      voter: { voterId: 'V1', county: 'sacramento', status: 'active' },
    });
  });

  it('an inactive registration is no match, like a wrong name', () => {
    expect(decideMatch(identity, [roll({ status: 'inactive' })])).toEqual({ outcome: 'no_match' });
    expect(decideMatch({ ...identity, firstName: 'Molly' }, [roll({})])).toEqual({ outcome: 'no_match' });
    expect(decideMatch(identity, [])).toEqual({ outcome: 'no_match' });
  });

  it('several active registrations need the voter ID, which then picks one', () => {
    const both = [roll({}), roll({ voterId: 'V2' })];
    expect(decideMatch(identity, both)).toEqual({ outcome: 'multiple_matches' });
    expect(decideMatch({ ...identity, voterId: ' v2 ' }, both)).toMatchObject({
      outcome: 'match',
      voter: { voterId: 'V2' },
    });
    expect(decideMatch({ ...identity, voterId: 'V3' }, both)).toEqual({ outcome: 'no_match' });
  });
});

describe('masking and rate limiting', () => {
  it('masks contacts so only the voter recognises them', () => {
    expect(maskPhone('+19165550123')).toBe('•••-•••-0123');
    expect(maskEmail('jane@example.org')).toBe('j•••@e•••.org');
  });

  it('refuses beyond the limit within the hour and says when to come back', async () => {
    let now = 0;
    const limiter = createRateLimiter({ now: () => now });
    expect(await limiter.hit('a', 2)).toEqual({ allowed: true });
    expect(await limiter.hit('a', 2)).toEqual({ allowed: true });
    expect(await limiter.hit('b', 2)).toEqual({ allowed: true });
    now = 600_000;
    expect(await limiter.hit('a', 2)).toEqual({ allowed: false, retryAfterSeconds: 3000 });
    now = 3_600_000;
    expect(await limiter.hit('a', 2)).toEqual({ allowed: true });
  });
});
