import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEVELOPMENT_MANAGE_TOKEN_SECRET,
  entryEnvironment,
  loadConfig,
  requiredVariables,
} from '../../config/env.js';

const minimal = { DATABASE_URL: 'postgres://user:pass@db:5432/ballots', NODE_ENV: 'development' };

/** What the README's production checklist asks for. */
const production = {
  DATABASE_URL: 'postgres://user:pass@db:5432/ballots',
  MANAGE_TOKEN_SECRET: 'q7Vd9sK2mX4pL8nR1tB6wY3zH5jC0fGaE',
  PUBLIC_BASE_URL: 'https://ballots.county.example.gov',
  TRUST_PROXY: '1',
};

describe('production is the default, and it is checked', () => {
  it('runs as production when NODE_ENV is not set, and so needs the production checklist', () => {
    expect(loadConfig(production).NODE_ENV).toBe('production');
    expect(() => loadConfig({ DATABASE_URL: production.DATABASE_URL })).toThrow(
      /MANAGE_TOKEN_SECRET: is required in production[\s\S]*PUBLIC_BASE_URL: must be an https/,
    );
  });

  it('runs a compiled entry point as production and one run from source as development, unless told', () => {
    expect(entryEnvironment('file:///app/dist/api/main.js', {}).NODE_ENV).toBe('production');
    expect(entryEnvironment('file:///src/api/main.ts', {}).NODE_ENV).toBe('development');
    expect(entryEnvironment('file:///app/dist/api/main.js', { NODE_ENV: 'test' }).NODE_ENV).toBe('test');
  });

  it.each([
    DEVELOPMENT_MANAGE_TOKEN_SECRET,
    'override-me-with-a-long-random-secret-value',
    'change-me-change-me-change-me-change-me',
    'a'.repeat(48),
    '0123456789012345678901234567890123456789',
  ])('refuses the published or placeholder secret %j in production', (secret) => {
    expect(() => loadConfig({ ...production, MANAGE_TOKEN_SECRET: secret })).toThrow(
      /MANAGE_TOKEN_SECRET: is a placeholder or development value/,
    );
  });

  it('requires an https PUBLIC_BASE_URL, a proxy decision for it, and the SendGrid webhook key with SendGrid', () => {
    expect(() => loadConfig({ ...production, PUBLIC_BASE_URL: 'http://ballots.example.gov' })).toThrow(
      /PUBLIC_BASE_URL: must be an https/,
    );
    expect(() => loadConfig({ ...production, TRUST_PROXY: 'loopback' })).toThrow(
      /TRUST_PROXY: must name the TLS proxy/,
    );
    expect(() =>
      loadConfig({ ...production, SENDGRID_API_KEY: 'SG.x', SENDGRID_FROM_EMAIL: 'ballots@county.example.gov' }),
    ).toThrow(/SENDGRID_WEBHOOK_PUBLIC_KEY: is required in production when SendGrid is configured/);
    expect(loadConfig({ ...production, TRUST_PROXY: '10.0.0.0/8' }).TRUST_PROXY).toBe('10.0.0.0/8');
  });
});

describe('configuration from the environment', () => {
  it('applies the documented defaults when only the required variables are set', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      API_PORT: 3000,
      WORKER_METRICS_PORT: 9464,
      WORKER_SHUTDOWN_GRACE_TIME: 30_000,
      NODE_ENV: 'development',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'development' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'development' })).toThrow(/DATABASE_URL: is required but not set/);
  });

  it.each([
    ['API_PORT', 'eighty'],
    ['API_PORT', '70000'],
    ['TEMPORAL_ADDRESS', 'no-port-here'],
    ['DATABASE_URL', 'mysql://nope'],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_SHUTDOWN_GRACE_TIME', '30 seconds'],
    ['NODE_ENV', 'staging'],
  ])('names %s when its value %j is bad', (name, value) => {
    expect(() => loadConfig({ ...minimal, [name]: value })).toThrow(
      new RegExp(`^Invalid configuration:\\n\\s+${name}: `),
    );
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ API_PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(
      /DATABASE_URL[\s\S]*LOG_LEVEL[\s\S]*API_PORT|DATABASE_URL[\s\S]*API_PORT/,
    );
  });

  it('requires the TLS certificate and key together', () => {
    expect(() => loadConfig({ ...minimal, TEMPORAL_TLS_CERT_PATH: '/certs/client.pem' })).toThrow(
      /TEMPORAL_TLS_KEY_PATH/,
    );
  });

  it('parses durations', () => {
    expect(loadConfig({ ...minimal, WORKER_SHUTDOWN_GRACE_TIME: '2m' }).WORKER_SHUTDOWN_GRACE_TIME).toBe(120_000);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ ...minimal, API_PORT: '' }).API_PORT).toBe(3000);
  });

  it('lists DATABASE_URL as the variable every deployment must set', () => {
    expect(requiredVariables()).toEqual(['DATABASE_URL']);
  });
});
