CREATE TABLE `cash_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`session_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`reason` text,
	`user_id` text NOT NULL,
	`device_id` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `register_sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cash_events_session_idx` ON `cash_events` (`session_id`);--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `inventory_levels` (
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`product_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`reorder_point` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`store_id`, `product_id`),
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `inventory_levels_tenant_product_idx` ON `inventory_levels` (`tenant_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `register_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`register_id` text NOT NULL,
	`status` text NOT NULL,
	`opening_float` integer NOT NULL,
	`opened_by` text NOT NULL,
	`opened_at` integer NOT NULL,
	`opened_device_id` text,
	`closed_by` text,
	`closed_at` integer,
	`counted` text,
	`expected` text,
	`z_number` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`register_id`) REFERENCES `registers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `register_sessions_one_open_uq` ON `register_sessions` (`register_id`) WHERE "register_sessions"."status" = 'open';--> statement-breakpoint
CREATE INDEX `register_sessions_store_idx` ON `register_sessions` (`store_id`,`opened_at`);--> statement-breakpoint
CREATE TABLE `sale_line_taxes` (
	`tenant_id` text NOT NULL,
	`sale_id` text NOT NULL,
	`line_id` text NOT NULL,
	`tax_rate_id` text NOT NULL,
	`name` text NOT NULL,
	`rate_millionths` integer NOT NULL,
	`is_compound` integer NOT NULL,
	`sort_order` integer NOT NULL,
	`amount` integer NOT NULL,
	PRIMARY KEY(`line_id`, `tax_rate_id`),
	FOREIGN KEY (`line_id`) REFERENCES `sale_lines`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sale_line_taxes_sale_idx` ON `sale_line_taxes` (`sale_id`);--> statement-breakpoint
CREATE TABLE `sale_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`sale_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`product_id` text NOT NULL,
	`product_name` text NOT NULL,
	`sku` text NOT NULL,
	`department_id` text,
	`quantity` integer NOT NULL,
	`unit_price` integer NOT NULL,
	`catalogue_price` integer NOT NULL,
	`price_override` integer NOT NULL,
	`discount` integer NOT NULL,
	`net` integer NOT NULL,
	`tax` integer NOT NULL,
	`gross` integer NOT NULL,
	`cost_price` integer NOT NULL,
	`original_line_id` text,
	FOREIGN KEY (`sale_id`) REFERENCES `sales`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sale_lines_sale_idx` ON `sale_lines` (`sale_id`);--> statement-breakpoint
CREATE INDEX `sale_lines_original_idx` ON `sale_lines` (`original_line_id`);--> statement-breakpoint
CREATE TABLE `sale_payments` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`sale_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`tender_id` text NOT NULL,
	`tender_code` text NOT NULL,
	`is_cash` integer NOT NULL,
	`amount` integer NOT NULL,
	`reference` text,
	FOREIGN KEY (`sale_id`) REFERENCES `sales`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sale_payments_sale_idx` ON `sale_payments` (`sale_id`);--> statement-breakpoint
CREATE TABLE `sales` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`register_id` text NOT NULL,
	`session_id` text NOT NULL,
	`device_id` text,
	`receipt_number` text NOT NULL,
	`kind` text NOT NULL,
	`original_sale_id` text,
	`unreferenced` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`cashier_id` text NOT NULL,
	`sales_rep_id` text,
	`customer_id` text,
	`currency` text NOT NULL,
	`prices_include_tax` integer NOT NULL,
	`tax_rounding` text NOT NULL,
	`subtotal` integer NOT NULL,
	`discount_total` integer NOT NULL,
	`tax_total` integer NOT NULL,
	`grand_total` integer NOT NULL,
	`cash_rounding` integer NOT NULL,
	`total_due` integer NOT NULL,
	`paid_total` integer NOT NULL,
	`change_given` integer NOT NULL,
	`sold_at` integer NOT NULL,
	`voided_at` integer,
	`voided_by` text,
	`void_reason` text,
	`request_hash` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sales_store_receipt_uq` ON `sales` (`store_id`,`receipt_number`);--> statement-breakpoint
CREATE INDEX `sales_session_idx` ON `sales` (`session_id`);--> statement-breakpoint
CREATE INDEX `sales_tenant_sold_idx` ON `sales` (`tenant_id`,`sold_at`);--> statement-breakpoint
CREATE INDEX `sales_store_sold_idx` ON `sales` (`store_id`,`sold_at`);--> statement-breakpoint
CREATE INDEX `sales_original_idx` ON `sales` (`original_sale_id`);--> statement-breakpoint
CREATE TABLE `stock_movements` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`product_id` text NOT NULL,
	`kind` text NOT NULL,
	`quantity` integer NOT NULL,
	`reason` text,
	`reference_id` text,
	`user_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stock_movements_store_product_idx` ON `stock_movements` (`store_id`,`product_id`,`at`);--> statement-breakpoint
CREATE INDEX `stock_movements_reference_idx` ON `stock_movements` (`reference_id`);--> statement-breakpoint
CREATE TABLE `z_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`register_id` text NOT NULL,
	`session_id` text NOT NULL,
	`z_number` integer NOT NULL,
	`grand_total` integer NOT NULL,
	`report` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `z_reports_register_number_uq` ON `z_reports` (`register_id`,`z_number`);--> statement-breakpoint
CREATE UNIQUE INDEX `z_reports_session_uq` ON `z_reports` (`session_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_write_guards` (
	`kind` text PRIMARY KEY NOT NULL,
	`ok` integer NOT NULL,
	CONSTRAINT "session_live" CHECK("__new_write_guards"."kind" <> 'session' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "last_administrator" CHECK("__new_write_guards"."kind" <> 'last_admin' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "register_session_open" CHECK("__new_write_guards"."kind" <> 'session_open' OR "__new_write_guards"."ok" = 1),
	CONSTRAINT "return_within_sold" CHECK("__new_write_guards"."kind" <> 'return_limit' OR "__new_write_guards"."ok" = 1)
);
--> statement-breakpoint
INSERT INTO `__new_write_guards`("kind", "ok") SELECT "kind", "ok" FROM `write_guards`;--> statement-breakpoint
DROP TABLE `write_guards`;--> statement-breakpoint
ALTER TABLE `__new_write_guards` RENAME TO `write_guards`;--> statement-breakpoint
PRAGMA foreign_keys=ON;