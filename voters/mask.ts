import type { Channel } from '../domain/notices.js';

const DOT = '\u2022';

/** '+19165550123' → '•••-•••-0123': enough for the voter to recognise their number, no more. */
export function maskPhone(phone: string): string {
  return `${DOT.repeat(3)}-${DOT.repeat(3)}-${phone.slice(-4)}`;
}

/** 'jane.doe@example.org' → 'j•••@e•••.org'. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, 1)}${DOT.repeat(3)}@${domain.slice(0, 1)}${DOT.repeat(3)}${tld}`;
}

export function maskAddress(channel: Channel, address: string): string {
  return channel === 'email' ? maskEmail(address) : maskPhone(address);
}
