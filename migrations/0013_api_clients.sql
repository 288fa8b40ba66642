DROP INDEX `api_clients_tenant_idx`;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `secret_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `secret_rotated_at` integer;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `revoked_at` integer;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `revoked_by` text;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `api_clients` ADD `updated_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `api_clients_tenant_idx` ON `api_clients` (`tenant_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `api_clients` DROP COLUMN `is_active`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_write_guards` (
	`kind` text PRIMARY KEY NOT NULL,
	`ok` integer NOT NULL,
	CONSTRAINT "session_live" CHECK("__new_write_guards"."kind" <> 'session' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "device_live" CHECK("__new_write_guards"."kind" <> 'device' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "client_live" CHECK("__new_write_guards"."kind" <> 'client' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "last_administrator" CHECK("__new_write_guards"."kind" <> 'last_admin' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "register_session_open" CHECK("__new_write_guards"."kind" <> 'session_open' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "return_within_sold" CHECK("__new_write_guards"."kind" <> 'return_limit' OR "__new_write_guards"."ok" = 1)
);
--> statement-breakpoint
INSERT INTO `__new_write_guards`("kind", "ok") SELECT "kind", "ok" FROM `write_guards`;--> statement-breakpoint
DROP TABLE `write_guards`;--> statement-breakpoint
ALTER TABLE `__new_write_guards` RENAME TO `write_guards`;--> statement-breakpoint
PRAGMA foreign_keys=ON;
--> statement-breakpoint
/* Administrators stay administrators: a role holding every permission there was before this one gets api_clients.manage too (worker/domain/last-admin.ts: an administrator holds every permission). */
UPDATE `roles` SET `permissions` = json_insert(`permissions`, '$[#]', 'api_clients.manage'), `version` = `version` + 1, `updated_at` = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
WHERE `deleted_at` IS NULL
  AND NOT EXISTS (SELECT 1 FROM json_each(`roles`.`permissions`) WHERE value = 'api_clients.manage')
  AND (SELECT count(DISTINCT value) FROM json_each(`roles`.`permissions`) WHERE value IN (SELECT value FROM json_each('["products.view","products.create","products.edit","products.delete","taxes.view","taxes.manage","suppliers.view","suppliers.create","suppliers.edit","suppliers.delete","users.view","users.create","users.edit","roles.view","roles.manage","stores.view","stores.create","stores.edit","pos.sell","pos.void","inventory.view","inventory.adjust","transfers.view","transfers.create","transfers.send","transfers.receive","registers.view","registers.open","registers.close","tenders.view","tenders.manage","customers.view","customers.create","customers.edit","sales_reps.view","sales_reps.create","sales_reps.edit","sales_reps.delete","store_prices.view","store_prices.manage","purchase_orders.view","purchase_orders.create","purchase_orders.edit","purchase_orders.approve","purchase_orders.receive","purchase_orders.delete","specials.view","specials.manage","worksheets.view","worksheets.create","worksheets.delete","worksheets.submit","worksheets.approve","worksheets.apply","reports.view_global","reports.x_report","reports.z_report","reports.product_performance","reports.sales_by_rep","reports.profit_margin","reports.cashier_performance","reports.discount_analysis","sync.view","sync.manage"]'))) = 64;
