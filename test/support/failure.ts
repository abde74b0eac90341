import { ConnectError } from "@connectrpc/connect";

/**
 * Awaits a call that must fail and returns the ConnectError it failed with (any thrown value goes
 * through `ConnectError.from`, so a plain Error reads as code UNKNOWN).
 *
 * @param call - the pending call, for example `client.getProduct({ productId: "404" })`.
 * @returns the error, to assert its `code` and `rawMessage`.
 * @throws Error "expected the call to fail" when the call succeeds.
 */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!err) throw new Error("expected the call to fail");
  return err;
}
