import { MAX_TILLS, type TillCredential } from "../../schema/sync/bridge-messages";

/**
 * The store's tills whose credentials work now, as the bridge's local API checks them while the hub cannot be
 * reached (schema/sync's `tills` message): paired, not revoked, not deleted, of an active store. The credential
 * column is already its SHA-256 (worker/domain/devices.ts), so nothing secret leaves D1.
 */
const TILLS_SQL = `SELECT d.id, d.register_id, d.credential_hash FROM devices d JOIN stores st ON st.id = d.store_id
  WHERE d.tenant_id = ?1 AND d.store_id = ?2 AND d.kind = 'register' AND d.credential_hash IS NOT NULL
    AND d.revoked_at IS NULL AND d.deleted_at IS NULL AND st.is_active = 1 AND st.deleted_at IS NULL
  ORDER BY d.id LIMIT ${MAX_TILLS}`;

export async function storeTills(db: D1Database, tenantId: string, storeId: string): Promise<TillCredential[]> {
  const { results } = await db.prepare(TILLS_SQL).bind(tenantId, storeId).all<{ id: string; register_id: string | null; credential_hash: string }>();
  return results.map((r) => ({ deviceId: r.id, registerId: r.register_id, credentialSha256: r.credential_hash }));
}
