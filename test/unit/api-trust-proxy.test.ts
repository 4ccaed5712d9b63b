import express from 'express';
import { describe, expect, it } from 'vitest';
import { trustProxySetting } from '../../api/app.js';

/** The client address Express derives behind the given proxy chain, as the rate limits see it. */
function clientAddress(setting: string, remote: string, forwardedFor: string): string | undefined {
  const app = express();
  app.set('trust proxy', trustProxySetting(setting));
  const req = Object.create(app.request, {
    app: { value: app },
    headers: { value: { 'x-forwarded-for': forwardedFor } },
    socket: { value: { remoteAddress: remote } },
    connection: { value: { remoteAddress: remote } },
  }) as express.Request;
  return req.ip;
}

describe('TRUST_PROXY', () => {
  it('reads hop counts, booleans and address lists', () => {
    expect(trustProxySetting('1')).toBe(1);
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
  });

  it('takes the client from X-Forwarded-For only through a trusted proxy', () => {
    expect(clientAddress('loopback', '127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('loopback', '10.1.2.3', '203.0.113.7')).toBe('10.1.2.3');
    expect(clientAddress('loopback,10.0.0.0/8', '10.1.2.3', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('1', '10.1.2.3', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
  });
});
