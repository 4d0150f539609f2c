import { type Db, type Filter, MongoClient, ReadPreference } from "mongodb";
import { v7 as uuidv7 } from "uuid";
import { HoldNotFoundError, TransactionNotFoundError, WalletExistsError } from "../../domain/errors.js";
import type * as model from "../../domain/model.js";
import { isIssuedId, issuedIdOrNone } from "../../domain/validation.js";
import { type Page, StoreAdapter } from "../adapter.js";
import { type StoreOptions, storeOptions } from "../options.js";
import type { HoldPosition, OutboxClaims, WalletStore } from "../port.js";
import { changeBalance } from "./balanceChange.js";
import {
  type Collections,
  type TransactionDoc,
  toTransaction,
  toWallet,
  type WalletDoc,
} from "./documents.js";
import { guarded, isDuplicateKey } from "./driverErrors.js";
import { captureHold, expireHolds, getHold, listHolds, placeHold, voidHold } from "./holds.js";
import { claimUnpublished, countUnpublished, markPublished, pruneOutbox } from "./outbox.js";
import { reverseTransaction } from "./reversal.js";
import { clientOptions, collections, databaseName, migrate, WALLET_OWNER_CURRENCY } from "./schema.js";
import { transfer } from "./transfer.js";

/** WalletStore on a MongoDB replica set (multi-document transactions are required). */
export class MongoStore extends StoreAdapter implements WalletStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly cols: Collections;

  constructor(url: string, options: number | Partial<StoreOptions> = {}) {
    super();
    const opts = storeOptions(options);
    // Connects lazily on the first operation; an unreachable server surfaces there.
    this.client = new MongoClient(url, clientOptions(url, opts.poolSize));
    // Every read from the primary, whatever the URL's readPreference: an idempotency replay or a
    // read after a write must see the write.
    this.db = this.client.db(databaseName(url), { readPreference: ReadPreference.primary });
    this.cols = collections(this.client, this.db, opts.statementTimeoutMs);
  }

  migrate(): Promise<void> {
    return guarded(() => migrate(this.db, this.cols));
  }

  createWallet(input: { ownerId: string; currency: string; ownerEmail: string }): Promise<model.Wallet> {
    return guarded(async () => {
      const now = new Date();
      const doc: WalletDoc = {
        _id: uuidv7(),
        ownerId: input.ownerId,
        ownerEmail: input.ownerEmail,
        currency: input.currency,
        balance: 0n,
        held: 0n,
        version: 0n,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await this.cols.wallets.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err, WALLET_OWNER_CURRENCY)) throw new WalletExistsError(input.currency);
        throw err;
      }
      return toWallet(doc);
    });
  }

  protected walletById(ownerId: string, walletId: string): Promise<model.Wallet | null> {
    return guarded(async () => {
      const doc = await this.cols.wallets.findOne({ _id: walletId, ownerId });
      return doc ? toWallet(doc) : null;
    });
  }

  listWallets(ownerId: string): Promise<model.Wallet[]> {
    return guarded(async () => {
      const docs = await this.cols.wallets.find({ ownerId }).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map(toWallet);
    });
  }

  protected changeBalance(
    kind: "CREDIT" | "DEBIT",
    change: model.DebitChange,
  ): Promise<model.MutationResult> {
    return guarded(() => changeBalance(this.cols, kind, change));
  }

  protected transferBetween(change: model.TransferChange): Promise<model.TransferResult> {
    return guarded(() => transfer(this.cols, change));
  }

  protected transactionsOf(page: Page<bigint>): Promise<model.Transaction[] | null> {
    return guarded(async () => {
      const owned = await this.cols.wallets.findOne(
        { _id: page.walletId, ownerId: page.ownerId },
        { projection: { _id: 1 } },
      );
      if (!owned) return null;
      const filter: Filter<TransactionDoc> = { walletId: page.walletId };
      if (page.after !== undefined) filter.walletVersion = { $lt: page.after };
      const docs = await this.cols.transactions
        .find(filter)
        .sort({ walletVersion: -1 })
        .limit(page.limit)
        .toArray();
      return docs.map(toTransaction);
    });
  }

  protected transactionById(ownerId: string, transactionId: string): Promise<model.Transaction | null> {
    return guarded(async () => {
      const doc = await this.cols.transactions.findOne({ _id: transactionId, ownerId });
      return doc ? toTransaction(doc) : null;
    });
  }

  placeHold(placement: model.HoldPlacement): Promise<model.HoldResult> {
    return guarded(() =>
      placeHold(this.cols, { ...placement, walletId: issuedIdOrNone(placement.walletId) }),
    );
  }

  captureHold(capture: model.HoldCapture): Promise<model.CaptureResult> {
    if (!isIssuedId(capture.holdId)) return Promise.reject(new HoldNotFoundError());
    const destinationWalletId = capture.destinationWalletId && issuedIdOrNone(capture.destinationWalletId);
    return guarded(() => captureHold(this.cols, { ...capture, destinationWalletId }));
  }

  voidHold(release: model.HoldRelease): Promise<model.HoldResult> {
    if (!isIssuedId(release.holdId)) return Promise.reject(new HoldNotFoundError());
    return guarded(() => voidHold(this.cols, release));
  }

  protected holdById(ownerId: string, holdId: string): Promise<model.Hold | null> {
    return guarded(() => getHold(this.cols, ownerId, holdId));
  }

  protected holdsOf(page: Page<HoldPosition>): Promise<model.Hold[] | null> {
    return guarded(() => listHolds(this.cols, page));
  }

  expireHolds(now: Date, limit: number): Promise<model.OutboxEvent[]> {
    return guarded(() => expireHolds(this.cols, now, limit));
  }

  reverseTransaction(request: model.ReversalRequest): Promise<model.ReversalResult> {
    if (!isIssuedId(request.transactionId)) {
      return Promise.reject(new TransactionNotFoundError());
    }
    return guarded(() => reverseTransaction(this.cols, request));
  }

  /*
   * MongoDB keeps a pending flag per row: its transactions give no commit order a
   * cursor could follow safely (a lower _id can become visible after a higher one,
   * and there is no horizon like PostgreSQL's snapshot xmin to wait for).
   */
  readonly outbox: OutboxClaims = {
    kind: "claims",
    claimUnpublished: (limit: number, minAgeMs: number, leaseMs: number): Promise<model.OutboxEvent[]> =>
      guarded(() => claimUnpublished(this.cols.outbox, limit, minAgeMs, leaseMs)),
    markPublished: (eventIds: string[]): Promise<void> =>
      eventIds.length === 0 ? Promise.resolve() : guarded(() => markPublished(this.cols.outbox, eventIds)),
  };

  pruneOutbox(createdBefore: Date, limit: number): Promise<number> {
    return guarded(() => pruneOutbox(this.cols.outbox, createdBefore, limit));
  }

  countUnpublished(): Promise<number> {
    return guarded(() => countUnpublished(this.cols.outbox));
  }

  ping(): Promise<void> {
    return guarded(async () => {
      await this.db.command({ ping: 1 });
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
