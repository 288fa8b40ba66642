/**
 * PIN and password hashing (PBKDF2-SHA256, per-secret salt) and the other one-way values auth keeps.
 * WebCrypto only, so the dev seed script (Node) and the Worker share it.
 */
const ITERATIONS = 100_000; // the most the Workers runtime allows for PBKDF2
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const SCHEME = "pbkdf2_sha256";

const encoder = new TextEncoder();

export const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export const fromBase64Url = (text: string) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

const toHex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function derive(secret: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BYTES * 8);
  return new Uint8Array(bits);
}

/** Compare without an early exit, so the time taken says nothing about where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(secret, salt, ITERATIONS);
  return `${SCHEME}$${ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

/** A hash of nothing real, verified when a login names no user, so that case takes as long as a wrong PIN. */
const DUMMY_HASH = `${SCHEME}$${ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;

export async function verifySecret(secret: string, stored: string | null | undefined): Promise<boolean> {
  const [scheme, iterations, salt, hash] = (stored ?? DUMMY_HASH).split("$");
  if (scheme !== SCHEME || !iterations || !salt || !hash) return false;
  const candidate = await derive(secret, fromBase64Url(salt), Number(iterations));
  return constantTimeEqual(candidate, fromBase64Url(hash)) && stored !== undefined && stored !== null;
}

/** The per-store lookup value of a PIN: HMAC under a server key, so a leaked table alone reveals no PIN. */
export async function pinLookup(pin: string, key: string): Promise<string> {
  const hmacKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(pin)));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** An opaque random token (refresh tokens, client secrets): 32 random bytes, base64url. */
export const randomToken = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));

/** Compare two secrets of any length in constant time by comparing their digests. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return constantTimeEqual(new Uint8Array(da), new Uint8Array(db));
}
