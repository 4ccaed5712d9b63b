import { readFileSync } from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config } from '../config/env.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import type { Logger } from './logger.js';

const GRPC_ALREADY_EXISTS = 6;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNIMPLEMENTED = 12;

type TemporalConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/**
 * Address, mTLS and API-key settings shared by the client `Connection` and the worker's
 * `NativeConnection` (their option shapes agree on these fields). An API key implies TLS, as Temporal
 * Cloud requires.
 */
export function temporalConnectionOptions(config: TemporalConfig) {
  const certificatePair =
    config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
      ? { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) }
      : undefined;
  const wantsTls = Boolean(certificatePair || config.TEMPORAL_TLS_CA_PATH || config.TEMPORAL_API_KEY);
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
    ...(wantsTls
      ? {
          tls: {
            ...(certificatePair ? { clientCertPair: certificatePair } : {}),
            ...(config.TEMPORAL_TLS_CA_PATH
              ? { serverRootCACertificate: readFileSync(config.TEMPORAL_TLS_CA_PATH) }
              : {}),
            ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
          },
        }
      : {}),
  } satisfies ConnectionOptions;
}

export async function connectClient(config: TemporalConfig): Promise<Connection> {
  return Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '10s' });
}

/**
 * Adds the project's custom search attributes that the namespace lacks. Idempotent, so it runs at
 * every worker start: a persisted dev database or a long-lived cluster may predate a new attribute.
 * Temporal Cloud manages attributes through its own API; there a permission error is only a warning.
 */
export async function registerSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  logger?: Logger,
): Promise<string[]> {
  // The Java time-skipping server cannot list attributes; there, add them all and accept duplicates.
  const existing = await connection.operatorService.listSearchAttributes({ namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === GRPC_UNIMPLEMENTED) return { customAttributes: {} };
    throw error;
  });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [
          key.name,
          proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`],
        ]),
      ),
    });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === GRPC_ALREADY_EXISTS) return [];
    if (code !== GRPC_PERMISSION_DENIED && code !== GRPC_UNIMPLEMENTED) throw error;
    logger?.warn(
      { err: error, missing: missing.map((key) => key.name) },
      'cannot register search attributes here; add them to the namespace by hand',
    );
    return [];
  }
  logger?.info({ added: missing.map((key) => key.name) }, 'registered custom search attributes');
  return missing.map((key) => key.name);
}
