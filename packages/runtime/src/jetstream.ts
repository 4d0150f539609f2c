import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";

/** Subjects and streams of the event pipeline (see "Events" in docs/architecture.md). */
export const EVENTS_STREAM = "WALLET_EVENTS";
export const EVENTS_SUBJECTS = "wallet.events.>";
export const TRANSACTION_COMMITTED_SUBJECT = "wallet.events.transaction.committed";
/** wallet.v1.HoldChanged, one subject per state a hold enters: placed, captured, voided, expired. */
export const HOLD_SUBJECT_PREFIX = "wallet.events.hold";
export const HOLD_SUBJECTS = `${HOLD_SUBJECT_PREFIX}.>`;
export const HOLD_STATUS_SUBJECT = {
  PENDING: `${HOLD_SUBJECT_PREFIX}.placed`,
  CAPTURED: `${HOLD_SUBJECT_PREFIX}.captured`,
  VOIDED: `${HOLD_SUBJECT_PREFIX}.voided`,
  EXPIRED: `${HOLD_SUBJECT_PREFIX}.expired`,
} as const;
export const DLQ_STREAM = "WALLET_DLQ";
export const DLQ_SUBJECTS = "wallet.dlq.>";
export const DLQ_SUBJECT_PREFIX = "wallet.dlq";
export const EVENT_CONTENT_TYPE = "application/x-protobuf; messageType=wallet.v1.TransactionCommitted";
export const HOLD_EVENT_CONTENT_TYPE = "application/x-protobuf; messageType=wallet.v1.HoldChanged";
/** The correlation id header, the same name on HTTP, gRPC metadata and NATS. */
export const REQUEST_ID_HEADER = "x-request-id";
/**
 * The request ids both services accept from a caller (others are replaced by a new UUID):
 * 1 to 128 letters, digits, ".", "_", ":" or "-", so they are safe in logs, headers and subjects.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Whether a caller's request id matches REQUEST_ID_PATTERN. */
export function isValidRequestId(value: unknown): value is string {
  return typeof value === "string" && REQUEST_ID_PATTERN.test(value);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Stream settings shared by the wallet (publisher) and the notifier (consumer). */
export function walletStreamConfigs(replicas: number): Array<Partial<StreamConfig> & { name: string }> {
  // Both on disk, on `replicas` servers, dropping a message whose Nats-Msg-Id came in the last two minutes (a republished event).
  const stream = (name: string, subject: string, maxAgeDays: number) => ({
    name,
    subjects: [subject],
    storage: StorageType.File,
    num_replicas: replicas,
    duplicate_window: nanos(2 * 60 * 1000),
    max_age: nanos(maxAgeDays * DAY_MS),
  });
  return [stream(EVENTS_STREAM, EVENTS_SUBJECTS, 7), stream(DLQ_STREAM, DLQ_SUBJECTS, 30)];
}

/** Creates the streams, or updates them to the configured settings; safe to run on every start. */
export async function ensureWalletStreams(jsm: JetStreamManager, replicas: number): Promise<void> {
  for (const cfg of walletStreamConfigs(replicas)) {
    try {
      await jsm.streams.info(cfg.name);
      const { name, storage: _storage, ...updatable } = cfg;
      await jsm.streams.update(name, updatable);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      await jsm.streams.add(cfg);
    }
  }
}
