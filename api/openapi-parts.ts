/** Building blocks every part of the OpenAPI document uses (openapi.ts, its county and broadcast paths). */

/** A JSON body of a named component schema. */
export const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });

/** Error responses (`Error` schema) for these statuses, each described by its area's own words. */
export const errorResponsesWith =
  (texts: Readonly<Record<number, string>>) =>
  (...statuses: number[]) =>
    Object.fromEntries(
      statuses.map((status) => [String(status), { description: texts[status] ?? 'error', content: json('Error') }]),
    );
