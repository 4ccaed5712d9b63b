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
}

export const FIXTURE_PEOPLE: readonly FixturePerson[] = [
  {
    firstName: 'Thaddeus',
    lastName: 'Wojciechowski-Oyelaran',
    dateOfBirth: '1958-11-02',
    zip: '95814',
    phone: '+19165550187',
    email: 'thaddeus.oyelaran@example.org',
  },
  {
    firstName: 'Xiomara',
    lastName: 'Fairweather-Nakamura',
    dateOfBirth: '1992-02-29',
    zip: '95616',
    phone: '+15305550163',
    email: 'x.fairweather@example.net',
  },
  {
    firstName: 'Evangelina',
    lastName: 'Okonkwo-Lindqvist',
    dateOfBirth: '1979-07-14',
    zip: '95691',
    phone: '+19165550119',
    email: 'evangelina.lindqvist@example.com',
  },
  // Seeded by test/integration/ballot-on-dev-server.test.ts (inline values there).
  {
    firstName: 'Marisol',
    lastName: 'Quintanilla-Reyes',
    dateOfBirth: '1961-04-17',
    zip: '95814',
    phone: '+19165550142',
    email: 'marisol.quintanilla@example.com',
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
