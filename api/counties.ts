/**
 * County records (`/v1/counties`): a county's contact details, languages, senders, cure path and
 * rules, and its own wording of catalog texts with a review step. Scopes `counties:read` and
 * `counties:write`; a key with some counties sees only those, and another county's record answers
 * exactly as an unknown one (404), so a key learns nothing of counties it does not cover.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import type { z } from 'zod';
import type { Sql } from '../db/client.js';
import {
  countyRecord,
  countyRecords,
  countyTextRows,
  deleteCountyText,
  putCountyText,
  replaceCountyRecord,
  reviewCountyText,
  type CountyRecordInput,
  type CountyRecordView,
} from '../db/counties.js';
import { allowsCounty } from '../domain/principal.js';
import { COUNTY_TEXT_PATHS } from '../domain/reasons.js';
import {
  cureInstructionsText,
  cureRuleText,
  isLanguage,
  LANGUAGES,
  reasonText,
  type Language,
} from '../delivery/templates/index.js';
import { principalOf, requireScope } from './auth.js';
import {
  countyCodeSchema,
  countyPatchSchema,
  countyPutSchema,
  countyTextPutSchema,
  countyTextReviewSchema,
  type CountyPut,
} from './county-schemas.js';
import { ApiError } from './errors.js';

export interface CountyRouteDeps {
  sql: Sql;
  /** Authentication and the per-key rate limit of the vendor API. */
  auth: RequestHandler[];
  maxBodyBytes: number;
}

/** 400 `invalid_request`: the message names each bad field; `details.fields` gives each its zod code. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields: Record<string, { code: string; message: string }> = {};
  for (const issue of parsed.error.issues) {
    const path = issue.path.join('.') || what;
    fields[path] ??= { code: issue.code, message: issue.message };
  }
  throw new ApiError(
    400,
    'invalid_request',
    `${what}: ${Object.entries(fields)
      .map(([path, problem]) => `${path}: ${problem.message}`)
      .join('; ')}`,
    { fields },
  );
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    return next(new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.'));
  }
  next();
};

const notFound = (county: string) =>
  new ApiError(404, 'not_found', `No county ${county}; PUT /v1/counties/${county} creates its record.`);

/** The whole record a PUT stores: what the body leaves out is cleared. */
function fromPut(body: CountyPut): CountyRecordInput {
  return {
    name: body.name,
    phone: body.phone,
    url: body.url,
    timezone: body.timezone,
    languages: body.languages ?? null,
    emailSender: body.emailSender ? { address: body.emailSender.address, name: body.emailSender.name ?? null } : null,
    smsSender: body.smsSender ?? null,
    cureUrl: body.cureUrl ?? null,
    cureForms: { ...body.cureForms },
    cureDeadlineRule: body.cureDeadlineRule ?? null,
    certifiesAt: body.certifiesAt ? new Date(body.certifiesAt).toISOString() : null,
    countedFrom: body.countedFrom ? new Date(body.countedFrom).toISOString() : null,
    householdInitial: body.householdInitial ?? false,
  };
}

/** The catalog's text a county text replaces (cure_rule: the wording of the county's rule, if any). */
function catalogDefault(path: string, language: Language, rule: string | null): string | null {
  if (path === 'cure_rule') return cureRuleText(language, rule ?? undefined) ?? null;
  const [kind, code] = [path.slice(0, path.lastIndexOf('.')), path.slice(path.lastIndexOf('.') + 1)];
  if (kind === 'reason.challenged') return reasonText(language, 'challenged', code);
  if (kind === 'reason.rejected') return reasonText(language, 'rejected', code);
  return cureInstructionsText(language, code);
}

export function countyRoutes(deps: CountyRouteDeps): Router {
  const router = Router();
  const json = express.json({ limit: deps.maxBodyBytes, type: 'application/json' });
  const { sql, auth } = deps;

  /** The county of the path, when the key covers it (else the answer of an unknown county). */
  const covered = (req: Request<{ county: string }>, res: express.Response): string => {
    const county = parse(countyCodeSchema, req.params.county, 'county');
    if (!allowsCounty(principalOf(res), county)) throw notFound(county);
    return county;
  };

  /** The county's record, when the key covers it and it has one. */
  const existing = async (req: Request<{ county: string }>, res: express.Response): Promise<CountyRecordView> => {
    const county = covered(req, res);
    const record = await countyRecord(sql, county);
    if (!record) throw notFound(county);
    return record;
  };

  /** The text of the path: a known path and a catalog language. */
  const textKey = (req: Request<{ county: string; path: string; language: string }>) => {
    if (!COUNTY_TEXT_PATHS.includes(req.params.path)) {
      throw new ApiError(400, 'invalid_request', `path: one of ${COUNTY_TEXT_PATHS.join(', ')}`, {
        fields: { path: { code: 'invalid_value', message: 'not a county text path' } },
      });
    }
    if (!isLanguage(req.params.language)) {
      throw new ApiError(400, 'invalid_request', `language: one of ${LANGUAGES.join(', ')}`, {
        fields: { language: { code: 'invalid_value', message: 'not a catalog language' } },
      });
    }
    return { path: req.params.path, language: req.params.language };
  };

  router.get('/', ...auth, requireScope('counties:read'), async (_req, res) => {
    res.json({ counties: await countyRecords(sql, principalOf(res).counties) });
  });

  router.get('/:county', ...auth, requireScope('counties:read'), async (req: Request<{ county: string }>, res) => {
    res.json(await existing(req, res));
  });

  router.put(
    '/:county',
    ...auth,
    requireScope('counties:write'),
    requireJson,
    json,
    async (req: Request<{ county: string }>, res) => {
      const county = covered(req, res);
      const body = parse(countyPutSchema, req.body, 'body');
      const { created, record } = await replaceCountyRecord(sql, county, fromPut(body));
      res.status(created ? 201 : 200).json(record);
    },
  );

  router.patch(
    '/:county',
    ...auth,
    requireScope('counties:write'),
    requireJson,
    json,
    async (req: Request<{ county: string }>, res) => {
      const current = await existing(req, res);
      const patch = parse(countyPatchSchema, req.body, 'body');
      const { county: _code, updatedAt: _at, ...record } = current;
      const merged: CountyRecordInput = { ...record };
      for (const [field, value] of Object.entries(patch)) {
        if (value !== undefined) (merged as unknown as Record<string, unknown>)[field] = value;
      }
      if (patch.emailSender)
        merged.emailSender = { address: patch.emailSender.address, name: patch.emailSender.name ?? null };
      if (patch.cureForms) merged.cureForms = { ...patch.cureForms };
      if (patch.certifiesAt) merged.certifiesAt = new Date(patch.certifiesAt).toISOString();
      if (patch.countedFrom) merged.countedFrom = new Date(patch.countedFrom).toISOString();
      res.json((await replaceCountyRecord(sql, current.county, merged)).record);
    },
  );

  router.get(
    '/:county/texts',
    ...auth,
    requireScope('counties:read'),
    async (req: Request<{ county: string }>, res) => {
      const record = await existing(req, res);
      const overrides = await countyTextRows(sql, record.county);
      const languages = LANGUAGES.filter(
        (language) =>
          (record.languages ?? LANGUAGES).includes(language) || overrides.some((text) => text.language === language),
      );
      const texts = languages.flatMap((language) =>
        COUNTY_TEXT_PATHS.map((path) => {
          const override = overrides.find((text) => text.path === path && text.language === language) ?? null;
          return {
            path,
            language,
            default: catalogDefault(path, language, record.cureDeadlineRule),
            override,
            used: override?.reviewState === 'reviewed' ? ('override' as const) : ('default' as const),
          };
        }),
      );
      res.json({ county: record.county, texts });
    },
  );

  router.put(
    '/:county/texts/:path/:language',
    ...auth,
    requireScope('counties:write'),
    requireJson,
    json,
    async (req: Request<{ county: string; path: string; language: string }>, res) => {
      const record = await existing(req, res);
      const key = textKey(req);
      const { text } = parse(countyTextPutSchema, req.body, 'body');
      const stored = await putCountyText(sql, {
        county: record.county,
        ...key,
        text,
        author: principalOf(res).keyId,
      });
      res.status(stored.created ? 201 : 200).json(stored.text);
    },
  );

  router.delete(
    '/:county/texts/:path/:language',
    ...auth,
    requireScope('counties:write'),
    async (req: Request<{ county: string; path: string; language: string }>, res) => {
      const record = await existing(req, res);
      const key = textKey(req);
      if (!(await deleteCountyText(sql, { county: record.county, ...key }))) {
        throw new ApiError(404, 'not_found', `County ${record.county} has no text ${key.path} in ${key.language}.`);
      }
      res.status(204).end();
    },
  );

  router.post(
    '/:county/texts/:path/:language/review',
    ...auth,
    requireScope('counties:write'),
    json,
    async (req: Request<{ county: string; path: string; language: string }>, res) => {
      const record = await existing(req, res);
      const key = textKey(req);
      if (
        req.headers['content-length'] !== undefined &&
        req.headers['content-length'] !== '0' &&
        !req.is('application/json')
      ) {
        throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json, or no body.');
      }
      const review = parse(countyTextReviewSchema, req.body ?? {}, 'body');
      const answer = await reviewCountyText(
        sql,
        { county: record.county, ...key },
        principalOf(res).keyId,
        review.text,
      );
      switch (answer.outcome) {
        case 'not_found':
          throw new ApiError(404, 'not_found', `County ${record.county} has no text ${key.path} in ${key.language}.`);
        case 'own_text':
          throw new ApiError(
            403,
            'own_text',
            'A text is reviewed by another key than the one that wrote it; ask a second reviewer.',
          );
        case 'text_changed':
          throw new ApiError(
            409,
            'text_changed',
            'The text changed since you read it; read it again (GET .../texts) before reviewing.',
            { text: answer.text.text },
          );
        case 'reviewed':
          res.json(answer.text);
      }
    },
  );

  return router;
}
