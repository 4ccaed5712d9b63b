/**
 * vitest's asymmetric matchers, typed `unknown` instead of `any`, for use inside the objects that
 * `toEqual` and `toMatchObject` compare (type-aware lint flags every `any` it meets).
 */
import { expect } from 'vitest';

export const anyString = (): unknown => expect.any(String);
export const anyNumber = (): unknown => expect.any(Number);
export const stringMatching = (pattern: string | RegExp): unknown => expect.stringMatching(pattern);
export const stringContaining = (text: string): unknown => expect.stringContaining(text);
export const objectContaining = (object: Record<string, unknown>): unknown => expect.objectContaining(object);
