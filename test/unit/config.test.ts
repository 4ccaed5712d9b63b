import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requiredVariables } from '../../config/env.js';

const minimal = { DATABASE_URL: 'postgres://user:pass@db:5432/ballots' };

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
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/DATABASE_URL: is required but not set/);
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
