CREATE TABLE `product_banners` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`title` text NOT NULL,
	`text` text,
	`image_url` text,
	`product_id` text,
	`department_id` text,
	`active_from` integer,
	`active_until` integer,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "product_banners_one_link" CHECK("product_banners"."product_id" IS NULL OR "product_banners"."department_id" IS NULL),
	CONSTRAINT "product_banners_window" CHECK("product_banners"."active_from" IS NULL OR "product_banners"."active_until" IS NULL OR "product_banners"."active_from" < "product_banners"."active_until")
);
--> statement-breakpoint
CREATE INDEX `product_banners_tenant_order_idx` ON `product_banners` (`tenant_id`,`sort_order`);--> statement-breakpoint
CREATE TABLE `product_notices` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`text` text NOT NULL,
	`severity` text NOT NULL,
	`minimum_age` integer,
	`product_ids` text DEFAULT '[]' NOT NULL,
	`department_ids` text DEFAULT '[]' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	CONSTRAINT "product_notices_age" CHECK("product_notices"."minimum_age" IS NULL OR ("product_notices"."minimum_age" BETWEEN 1 AND 150 AND "product_notices"."severity" = 'requires_confirmation'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_notices_tenant_name_uq` ON `product_notices` (`tenant_id`,`name`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `product_sections` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`product_ids` text DEFAULT '[]' NOT NULL,
	`color` text,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_sections_tenant_name_uq` ON `product_sections` (`tenant_id`,`name`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `product_sections_tenant_order_idx` ON `product_sections` (`tenant_id`,`sort_order`);--> statement-breakpoint
CREATE TABLE `product_sort_options` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`field` text NOT NULL,
	`direction` text NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	CONSTRAINT "product_sort_options_default_active" CHECK("product_sort_options"."is_default" = 0 OR "product_sort_options"."is_active" = 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_sort_options_tenant_name_uq` ON `product_sort_options` (`tenant_id`,`name`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `product_sort_options_tenant_field_uq` ON `product_sort_options` (`tenant_id`,`field`,`direction`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `product_sort_options_tenant_default_uq` ON `product_sort_options` (`tenant_id`,`is_default`) WHERE deleted_at IS NULL AND is_default = 1;--> statement-breakpoint
CREATE TABLE `item_serial_lots` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`product_id` text NOT NULL,
	`kind` text NOT NULL,
	`number` text NOT NULL,
	`store_id` text NOT NULL,
	`status` text NOT NULL,
	`quantity` integer,
	`expiry_date` text,
	`notes` text,
	`search_text` text DEFAULT '' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "item_serial_lots_lot_fields" CHECK("item_serial_lots"."kind" = 'LOT' OR ("item_serial_lots"."quantity" IS NULL AND "item_serial_lots"."expiry_date" IS NULL)),
	CONSTRAINT "item_serial_lots_lot_quantity" CHECK("item_serial_lots"."kind" = 'SERIAL' OR ("item_serial_lots"."quantity" IS NOT NULL AND "item_serial_lots"."quantity" >= 0))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `item_serial_lots_product_number_uq` ON `item_serial_lots` (`tenant_id`,`product_id`,`number`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `item_serial_lots_tenant_store_idx` ON `item_serial_lots` (`tenant_id`,`store_id`);--> statement-breakpoint
CREATE INDEX `item_serial_lots_tenant_expiry_idx` ON `item_serial_lots` (`tenant_id`,`expiry_date`);--> statement-breakpoint
CREATE TABLE `external_purchase_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`purchase_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`product_id` text,
	`sku` text,
	`description` text,
	`quantity` integer NOT NULL,
	`unit_price` integer NOT NULL,
	`discount` integer NOT NULL,
	`line_total` integer NOT NULL,
	`tax_amount` integer NOT NULL,
	`tax_rate` integer,
	FOREIGN KEY (`purchase_id`) REFERENCES `external_purchases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `external_purchase_lines_no_uq` ON `external_purchase_lines` (`purchase_id`,`line_no`);--> statement-breakpoint
CREATE INDEX `external_purchase_lines_product_idx` ON `external_purchase_lines` (`tenant_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `external_purchases` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`source` text NOT NULL,
	`transaction_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`store_id` text,
	`purchased_at` integer NOT NULL,
	`currency` text NOT NULL,
	`prices_include_tax` integer NOT NULL,
	`subtotal` integer NOT NULL,
	`tax_total` integer NOT NULL,
	`total` integer NOT NULL,
	`payments` text NOT NULL,
	`note` text,
	`request_hash` text NOT NULL,
	`created_by_type` text NOT NULL,
	`created_by` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `external_purchases_source_txn_uq` ON `external_purchases` (`tenant_id`,`source`,`transaction_id`);--> statement-breakpoint
CREATE INDEX `external_purchases_customer_idx` ON `external_purchases` (`tenant_id`,`customer_id`,`purchased_at`);--> statement-breakpoint
CREATE INDEX `external_purchases_tenant_at_idx` ON `external_purchases` (`tenant_id`,`purchased_at`);