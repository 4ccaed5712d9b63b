/**
 * The personal data that tests, the benchmark and the history recorder put into PostgreSQL: the one
 * list. Workflows must carry IDs only, so none of these values may ever appear in a Temporal history;
 * `test/integration/no-personal-data-in-histories.test.ts` and the replay fixtures check that against
 * exactly this list. Seed voters and contacts from here (`seedFixtureVoter`), or add the values you
 * seed by hand to `FIXTURE_PEOPLE`, or the audit cannot see them.
 *
 * All invented: 555-01xx phone numbers are reserved for fiction, example.* domains for documentation.
 */
import type { Sql } from '../../db/client.js';
import type { Channel } from '../../domain/notices.js';
import type { DailyWindow } from '../../domain/quiet-hours.js';

export interface FixturePerson {
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  zip: string;
  /** E.164 */
  phone: string;
  email: string;
  /** The ZIP+4 a county feed may send (the roll keeps five digits; the audit looks for all nine). */
  zipPlus4?: string;
  /** The IMb of the person's ballot (31 digits; a scan carries its first 20). */
  imb?: string;
}

export const FIXTURE_PEOPLE: readonly FixturePerson[] = [
  {
    firstName: 'Thaddeus',
    lastName: 'Wojciechowski-Oyelaran',
    dateOfBirth: '1958-11-02',
    zip: '95814',
    phone: '+19165550187',
    email: 'thaddeus.oyelaran@example.org',
    zipPlus4: '95814-1201',
    imb: '0004012345678901000195814120101',
  },
  {
    firstName: 'Xiomara',
    lastName: 'Fairweather-Nakamura',
    dateOfBirth: '1992-02-29',
    zip: '95616',
    phone: '+15305550163',
    email: 'x.fairweather@example.net',
    zipPlus4: '95616-2202',
    imb: '0004012345678901000295616220202',
  },
  {
    firstName: 'Evangelina',
    lastName: 'Okonkwo-Lindqvist',
    dateOfBirth: '1979-07-14',
    zip: '95691',
    phone: '+19165550119',
    email: 'evangelina.lindqvist@example.com',
    zipPlus4: '95691-3303',
    imb: '0004012345678901000395691330303',
  },
  // Seeded by test/integration/ballot-on-dev-server.test.ts (inline values there).
  {
    firstName: 'Marisol',
    lastName: 'Quintanilla-Reyes',
    dateOfBirth: '1961-04-17',
    zip: '95814',
    phone: '+19165550142',
    email: 'marisol.quintanilla@example.com',
    zipPlus4: '95814-4404',
    imb: '0004012345678901000495814440404',
  },
];

/**
 * Personal data other tests seed inline (not through this module), so the audit covers it too: keep
 * in step with them. Single-letter or placeholder values (the fuzz test's "A", "B") are left out: they
 * cannot be told apart from anything else.
 */
export const INLINE_SEEDED: readonly Partial<FixturePerson>[] = [
  // test/integration/api-endpoints.test.ts, test/fixtures/imports/voters.csv
  { firstName: 'Ana', lastName: 'García', dateOfBirth: '1980-02-29' },
  { lastName: 'García López' },
  { firstName: 'Bo', lastName: 'Nguyen', dateOfBirth: '1975-07-04' },
  { lastName: 'Lee', dateOfBirth: '1990-01-01' },
  { firstName: 'Mary', lastName: "O'Brien", dateOfBirth: '1962-12-31' },
  { firstName: 'Molly' },
];

/**
 * Barcodes other tests and tools seed inline: an IMb is personal data once it names a voter's ballot,
 * and it belongs in PostgreSQL only.
 */
export const INLINE_IMBS: readonly string[] = [
  '00040123456789012345958141234', // api-endpoints, scripts/record-histories.ts
  '00040123456789000001', // security-vendor-api
  '00040123456789000002',
];

/**
 * Free text a feed may send, planted in the fields that must stay in PostgreSQL (a scan's source):
 * found in a history, it means free text reaches Temporal.
 */
export const FREE_TEXT_CANARIES: readonly string[] = ['audit-source-canary-feed-7d1c'];

export interface SeedVoterOptions {
  voterId: string;
  person?: FixturePerson;
  county?: string;
  /** Each gets a verified contact: sms and voice at the person's phone, email at their email. */
  channels?: Channel[];
  window?: DailyWindow;
  timeZone?: string;
  language?: string;
}

/** A voter on the roll with an active subscription and verified contacts, all from a fixture person. */
export async function seedFixtureVoter(sql: Sql, options: SeedVoterOptions): Promise<void> {
  const person = options.person ?? FIXTURE_PEOPLE[0]!;
  const window = options.window ?? { start: '00:00', end: '00:00' };
  await sql`
    INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
    VALUES (${options.voterId}, ${options.county ?? 'sacramento'}, ${person.firstName}, ${person.lastName},
            ${person.dateOfBirth}, ${person.zip})`;
  const [subscription] = await sql<{ subscription_id: string }[]>`
    INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
    VALUES (${options.voterId}, ${options.language ?? 'en'}, ${window.start}, ${window.end}, ${options.timeZone ?? 'UTC'})
    RETURNING subscription_id`;
  for (const channel of options.channels ?? ['sms']) {
    const address = channel === 'email' ? person.email : person.phone;
    await sql`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${subscription!.subscription_id}, ${channel}, ${address}, now())`;
  }
}
