/**
 * `npm run messages:review [-- --lang es] [--sync]`: what a native speaker has reviewed in each
 * message catalog, and what not (messages/review/<lang>.json, see messages/README.md).
 *
 * Prints per language the count of texts per state and the texts still to review (`draft`), with
 * the glossary. `--sync` brings the review files in step with the catalogs: new texts become
 * `draft`, texts gone are dropped, and a reviewed text whose English changed since goes back to
 * `draft` (run it after editing a catalog; the catalog test fails until the files agree).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOGS, LANGUAGES, type Language } from '../delivery/templates/index.js';
import { catalogLeaves, reviewProblems, syncReview, type ReviewFile } from '../delivery/templates/review.js';
import { ROOT } from './tools.js';

const { values: args } = parseArgs({ options: { lang: { type: 'string' }, sync: { type: 'boolean' } } });
const languages = (args.lang ? [args.lang] : [...LANGUAGES]) as Language[];

for (const lang of languages) {
  if (!(LANGUAGES as readonly string[]).includes(lang)) throw new Error(`unknown language ${lang}`);
  const file = join(ROOT, 'messages', 'review', `${lang}.json`);
  let review = JSON.parse(readFileSync(file, 'utf8')) as ReviewFile;
  if (args.sync) {
    review = syncReview(CATALOGS[lang], CATALOGS.en, review, lang === 'en');
    writeFileSync(file, `${JSON.stringify(review, null, 2)}\n`);
  }
  const states = Object.values(review.strings).reduce<Record<string, number>>((counts, entry) => {
    counts[entry.state] = (counts[entry.state] ?? 0) + 1;
    return counts;
  }, {});
  const problems = reviewProblems(CATALOGS[lang], CATALOGS.en, review);
  console.log(`${lang}: ${catalogLeaves(CATALOGS[lang]).size} texts; ${JSON.stringify(states)}`);
  console.log(
    `  glossary: ${Object.entries(review.glossary)
      .map(([term, text]) => `${term}=${text}`)
      .join('; ')}`,
  );
  if (problems.missing.length + problems.extra.length + problems.stale.length > 0) {
    console.log(`  out of step (run with --sync): ${JSON.stringify(problems)}`);
    process.exitCode = 1;
  }
  if (args.lang) {
    for (const [path, entry] of Object.entries(review.strings)) {
      if (entry.state === 'draft') console.log(`  to review: ${path}`);
    }
  }
}
