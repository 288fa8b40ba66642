-- purchases.view and purchases.create (recorded purchases from other systems) are new permissions. A role that held
-- every permission before them (an Administrator role, whatever its name now) is given them, so that its holders
-- still hold every permission: the last-administrator guard (worker/domain/last-admin.ts) counts on it. Each such
-- role gets a new version and a change-feed row first (tills learn of their users' new permissions). Running this
-- again changes nothing: a role that holds both already is left alone.
INSERT INTO change_feed (tenant_id, store_id, entity, entity_id, op, version, at)
  SELECT r.tenant_id, NULL, 'role', r.id, 'upsert', r.version + 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM roles r
  WHERE r.deleted_at IS NULL
    AND (SELECT count(DISTINCT p.value) FROM json_each(r.permissions) p WHERE p.value IN (SELECT value FROM json_each('["products.view","products.create","products.edit","products.delete","taxes.view","taxes.manage","suppliers.view","suppliers.create","suppliers.edit","suppliers.delete","users.view","users.create","users.edit","roles.view","roles.manage","stores.view","stores.create","stores.edit","pos.sell","pos.void","inventory.view","inventory.adjust","transfers.view","transfers.create","transfers.send","transfers.receive","registers.view","registers.open","registers.close","tenders.view","tenders.manage","customers.view","customers.create","customers.edit","sales_reps.view","sales_reps.create","sales_reps.edit","sales_reps.delete","store_prices.view","store_prices.manage","purchase_orders.view","purchase_orders.create","purchase_orders.edit","purchase_orders.approve","purchase_orders.receive","purchase_orders.delete","specials.view","specials.manage","worksheets.view","worksheets.create","worksheets.delete","worksheets.submit","worksheets.approve","worksheets.apply","reports.view_global","reports.x_report","reports.z_report","reports.product_performance","reports.sales_by_rep","reports.profit_margin","reports.cashier_performance","reports.discount_analysis","sync.view","sync.manage"]'))) = 64
    AND (SELECT count(DISTINCT p.value) FROM json_each(r.permissions) p WHERE p.value IN ('purchases.create', 'purchases.view')) < 2;
--> statement-breakpoint
UPDATE roles SET
  permissions = (SELECT json_group_array(value) FROM (
    SELECT value FROM json_each(roles.permissions) UNION SELECT 'purchases.create' UNION SELECT 'purchases.view' ORDER BY value
  )),
  version = version + 1,
  updated_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE id IN (SELECT r.id FROM roles r WHERE r.deleted_at IS NULL
    AND (SELECT count(DISTINCT p.value) FROM json_each(r.permissions) p WHERE p.value IN (SELECT value FROM json_each('["products.view","products.create","products.edit","products.delete","taxes.view","taxes.manage","suppliers.view","suppliers.create","suppliers.edit","suppliers.delete","users.view","users.create","users.edit","roles.view","roles.manage","stores.view","stores.create","stores.edit","pos.sell","pos.void","inventory.view","inventory.adjust","transfers.view","transfers.create","transfers.send","transfers.receive","registers.view","registers.open","registers.close","tenders.view","tenders.manage","customers.view","customers.create","customers.edit","sales_reps.view","sales_reps.create","sales_reps.edit","sales_reps.delete","store_prices.view","store_prices.manage","purchase_orders.view","purchase_orders.create","purchase_orders.edit","purchase_orders.approve","purchase_orders.receive","purchase_orders.delete","specials.view","specials.manage","worksheets.view","worksheets.create","worksheets.delete","worksheets.submit","worksheets.approve","worksheets.apply","reports.view_global","reports.x_report","reports.z_report","reports.product_performance","reports.sales_by_rep","reports.profit_margin","reports.cashier_performance","reports.discount_analysis","sync.view","sync.manage"]'))) = 64
    AND (SELECT count(DISTINCT p.value) FROM json_each(r.permissions) p WHERE p.value IN ('purchases.create', 'purchases.view')) < 2);
