import { StoreUnavailableError } from "../domain/errors.js";

/** Builds an adapter's `guarded(fn)`: connection failures (as the driver reports them) become StoreUnavailableError. */
export function guardConnectionErrors(isConnectionError: (err: unknown) => boolean) {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (isConnectionError(err)) throw new StoreUnavailableError("Store unavailable", { cause: err });
      throw err;
    }
  };
}
