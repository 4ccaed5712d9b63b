/**
 * Workflow histories to and from the standard proto3 JSON form (what `temporal workflow show
 * --output json` and the Web UI's download produce), for the replay fixtures.
 *
 * Why not `historyToJSON` / `historyFromJSON` of `@temporalio/common`: in this install they throw
 * "type must be a Type". `@temporalio/common` and `@temporalio/proto` each get their own nested copy
 * of protobufjs 8 (the root one is 7.x for @grpc/proto-loader), and the protojson extension of one
 * copy rejects the reflection types built by the other (an `instanceof` check). This does the same
 * conversion with the protobufjs copy that `@temporalio/proto` itself resolves, whatever the layout.
 * `Worker.runReplayHistories` takes the decoded history as is (its own JSON path is the broken one).
 */
import { createRequire } from 'node:module';
import proto, { type temporal } from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

type History = temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const requireFromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** The history as standard proto3 JSON text, indented for readable diffs. */
export function historyToJson(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** A history from its standard JSON form; unknown fields (a newer server's) are ignored. */
export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
