import { useEffect, useState } from "preact/hooks";
import type { Session } from "./api.js";

/** sessionStorage key of the signed-in session (the token lives only as long as the tab). */
const SESSION_KEY = "recsys.session";

/** sessionStorage key prefix of a user's hidden items (liked, disliked or rated in this tab). */
const HIDDEN_KEY = "recsys.hidden.";

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Session | undefined = read();

function read(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (raw === null) return undefined;
    const session = JSON.parse(raw) as Session;
    return Date.parse(session.expireTime) > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

/** The signed-in session, or undefined. */
export function getSession(): Session | undefined {
  return current;
}

/**
 * Signs in (a session from `POST /v1/sessions`) or out (undefined); every {@link useSession} re-renders.
 */
export function setSession(session: Session | undefined): void {
  current = session;
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
  for (const listener of listeners) listener();
}

/** Hook: the signed-in session, re-rendering on sign-in and sign-out. */
export function useSession(): Session | undefined {
  const [session, set] = useState(current);
  useEffect(() => {
    const listener = (): void => set(current);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return session;
}

/**
 * The products this user liked, disliked or rated in this tab: "for you" passes them as
 * `excludeProductIds`, so such an item is gone on the next refresh even before the stream has
 * updated the service's seen set (which excludes it for good).
 */
export function hiddenProducts(userId: string): readonly string[] {
  try {
    return JSON.parse(sessionStorage.getItem(HIDDEN_KEY + userId) ?? "[]") as string[];
  } catch {
    return [];
  }
}

/** Takes a product off {@link hiddenProducts} again (its event was refused). */
export function unhideProduct(userId: string, productId: string): void {
  sessionStorage.setItem(HIDDEN_KEY + userId, JSON.stringify(hiddenProducts(userId).filter((id) => id !== productId)));
}

/** Adds a product to {@link hiddenProducts} (at most the 100 most recent are kept: the API's limit). */
export function hideProduct(userId: string, productId: string): void {
  const ids = [productId, ...hiddenProducts(userId).filter((id) => id !== productId)].slice(0, 100);
  sessionStorage.setItem(HIDDEN_KEY + userId, JSON.stringify(ids));
}

/**
 * sessionStorage key of the operator's service token: the tab's storage only (gone when the tab
 * closes), never localStorage or the URL.
 */
const SERVICE_TOKEN_KEY = "recsys.serviceToken";

/** The service token the operator pasted in this tab, or "" for none. */
export function getServiceToken(): string {
  try {
    return sessionStorage.getItem(SERVICE_TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

/** Keeps (a non-empty token) or forgets ("") the operator's service token in this tab's sessionStorage. */
export function setServiceToken(token: string): void {
  if (token === "") sessionStorage.removeItem(SERVICE_TOKEN_KEY);
  else sessionStorage.setItem(SERVICE_TOKEN_KEY, token);
}
