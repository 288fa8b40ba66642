CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`customer_number` text,
	`first_name` text,
	`last_name` text,
	`company_name` text,
	`email` text,
	`phone` text,
	`address` text,
	`notes` text,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_tenant_number_uq` ON `customers` (`tenant_id`,`customer_number`) WHERE deleted_at IS NULL AND customer_number IS NOT NULL;--> statement-breakpoint
CREATE INDEX `customers_tenant_email_idx` ON `customers` (`tenant_id`,`email`);--> statement-breakpoint
CREATE INDEX `customers_tenant_phone_idx` ON `customers` (`tenant_id`,`phone`);--> statement-breakpoint
CREATE TABLE `departments` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`code` text,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `departments_tenant_name_uq` ON `departments` (`tenant_id`,`name`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `departments_tenant_code_uq` ON `departments` (`tenant_id`,`code`) WHERE deleted_at IS NULL AND code IS NOT NULL;--> statement-breakpoint
CREATE TABLE `product_suppliers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`product_id` text NOT NULL,
	`supplier_id` text NOT NULL,
	`supplier_sku` text,
	`cost_price` integer,
	`is_primary` integer DEFAULT false NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_suppliers_pair_uq` ON `product_suppliers` (`product_id`,`supplier_id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `product_suppliers_supplier_idx` ON `product_suppliers` (`supplier_id`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`sku` text NOT NULL,
	`barcode` text,
	`name` text NOT NULL,
	`description` text,
	`department_id` text,
	`tax_group_id` text,
	`cost_price` integer DEFAULT 0 NOT NULL,
	`sell_price` integer NOT NULL,
	`track_stock` integer DEFAULT true NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tax_group_id`) REFERENCES `tax_groups`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "products_prices_non_negative" CHECK("products"."sell_price" >= 0 AND "products"."cost_price" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_tenant_sku_uq` ON `products` (`tenant_id`,`sku`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `products_tenant_barcode_uq` ON `products` (`tenant_id`,`barcode`) WHERE deleted_at IS NULL AND barcode IS NOT NULL;--> statement-breakpoint
CREATE INDEX `products_tenant_department_idx` ON `products` (`tenant_id`,`department_id`);--> statement-breakpoint
CREATE INDEX `products_tenant_name_idx` ON `products` (`tenant_id`,`name`);--> statement-breakpoint
CREATE TABLE `sales_reps` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`phone` text,
	`commission_rate` integer DEFAULT 0 NOT NULL,
	`user_id` text,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sales_reps_tenant_code_uq` ON `sales_reps` (`tenant_id`,`code`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `specials` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`value` integer NOT NULL,
	`product_ids` text DEFAULT '[]' NOT NULL,
	`department_id` text,
	`store_ids` text DEFAULT '[]' NOT NULL,
	`starts_at` text NOT NULL,
	`ends_at` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `specials_tenant_window_idx` ON `specials` (`tenant_id`,`ends_at`);--> statement-breakpoint
CREATE TABLE `store_prices` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`store_id` text NOT NULL,
	`product_id` text NOT NULL,
	`price` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`store_id`) REFERENCES `stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "store_prices_non_negative" CHECK("store_prices"."price" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `store_prices_store_product_uq` ON `store_prices` (`store_id`,`product_id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `store_prices_product_idx` ON `store_prices` (`product_id`);--> statement-breakpoint
CREATE TABLE `suppliers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`code` text,
	`contact_name` text,
	`email` text,
	`phone` text,
	`address` text,
	`notes` text,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suppliers_tenant_code_uq` ON `suppliers` (`tenant_id`,`code`) WHERE deleted_at IS NULL AND code IS NOT NULL;--> statement-breakpoint
CREATE TABLE `tax_group_rates` (
	`tenant_id` text NOT NULL,
	`tax_group_id` text NOT NULL,
	`tax_rate_id` text NOT NULL,
	`sort_order` integer NOT NULL,
	PRIMARY KEY(`tax_group_id`, `tax_rate_id`),
	FOREIGN KEY (`tax_group_id`) REFERENCES `tax_groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tax_rate_id`) REFERENCES `tax_rates`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tax_group_rates_rate_idx` ON `tax_group_rates` (`tax_rate_id`);--> statement-breakpoint
CREATE TABLE `tax_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tax_groups_tenant_name_uq` ON `tax_groups` (`tenant_id`,`name`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `tax_rates` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`rate_millionths` integer NOT NULL,
	`is_compound` integer DEFAULT false NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	CONSTRAINT "tax_rates_rate_range" CHECK("tax_rates"."rate_millionths" BETWEEN 0 AND 1000000)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tax_rates_tenant_name_uq` ON `tax_rates` (`tenant_id`,`name`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `tenders` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`is_cash` integer DEFAULT false NOT NULL,
	`opens_drawer` integer DEFAULT false NOT NULL,
	`allows_change` integer DEFAULT false NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenders_tenant_code_uq` ON `tenders` (`tenant_id`,`code`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `worksheet_items` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`worksheet_id` text NOT NULL,
	`product_id` text,
	`changes` text NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`worksheet_id`) REFERENCES `worksheets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `worksheet_items_sheet_idx` ON `worksheet_items` (`worksheet_id`);--> statement-breakpoint
CREATE TABLE `worksheets` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`notes` text,
	`store_ids` text DEFAULT '[]' NOT NULL,
	`created_by` text NOT NULL,
	`submitted_by` text,
	`submitted_at` integer,
	`reviewed_by` text,
	`reviewed_at` integer,
	`rejection_reason` text,
	`applied_by` text,
	`applied_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `worksheets_tenant_status_idx` ON `worksheets` (`tenant_id`,`status`);