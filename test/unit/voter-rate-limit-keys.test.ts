import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../voters/rate-limit.js';

describe('rate-limit key of a client address', () => {
  it('counts every address of one IPv6 /64 together', () => {
    const key = '2001:db8:85a3:8d3::/64';
    expect(clientAddressKey('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe(key);
    expect(clientAddressKey('2001:0db8:85a3:08d3::1')).toBe(key);
    expect(clientAddressKey('2001:DB8:85A3:8D3:ffff::')).toBe(key);
    expect(clientAddressKey('2001:db8:85a3:8d4::1')).not.toBe(key);
  });

  it('expands a compressed prefix', () => {
    expect(clientAddressKey('2001:db8::7')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('keeps IPv4, also when mapped into IPv6', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});
